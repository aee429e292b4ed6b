"""The system alert ``gateway_outage``: every gateway silent for ``GATEWAY_SILENT_S``.

A gateway that stops cannot report its own death, so each writes a heartbeat row every few
seconds (``gateway_heartbeats``: ``ingesting_at`` = the last one at which its ingest
worked) and any live process's sweep judges them all: when none has ingested for a minute,
no event of any home reaches anyone (an SOS included), and the on-call must hear it. The
alert clears itself when one gateway ingests again. ``outage`` is pure;
``sweep_gateway_outage`` is the use case, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from alerting import health_repo
from alerting.clearing import GATEWAY_BACK, clear_alert
from alerting.lifecycle import SYSTEM_SUBJECTS
from alerting.models import AlertSignal, AlertType, Change, Outcome
from alerting.services import open_alert
from store.db import Conn

# A gateway retries a failing commit within 5 s and reconnects to the broker within 30 s
# (its backoff's ceiling): a minute without one ingesting heartbeat is no hiccup. Short
# enough that an SOS unheard for that long reaches a person.
GATEWAY_SILENT_S: Final = 60.0
SUBJECT: Final = SYSTEM_SUBJECTS[AlertType.GATEWAY_OUTAGE]
# One health sweep at a time across processes (PostgreSQL advisory lock per sweep).
HEALTH_LEASE: Final = "tanfang.health.sweep"


def silence_s(silent_since: Sequence[datetime], now: datetime) -> float | None:
    """Seconds since the freshest gateway last ingested; None: no gateway is known."""
    if not silent_since:
        return None
    return max(0.0, (now - max(silent_since)).total_seconds())


def outage(
    silent_since: Sequence[datetime], now: datetime, silent_s: float = GATEWAY_SILENT_S
) -> bool:
    """Every gateway silent for ``silent_s`` (``silent_since``: each one's last ingesting
    heartbeat, or its first heartbeat if it never ingested). A deployment that has never
    run a gateway has no outage to tell."""
    silence = silence_s(silent_since, now)
    return silence is not None and silence >= silent_s


async def sweep_gateway_outage(
    conn: Conn, now: datetime, *, silent_s: float = GATEWAY_SILENT_S
) -> Change | None:
    """Open (or refresh) ``gateway_outage`` while every gateway is silent, clear it when one
    is back. Returns what happened to the alert (None: no outage)."""
    since = [beat.silent_since for beat in await health_repo.heartbeats(conn)]
    if outage(since, now, silent_s):
        silence = silence_s(since, now)
        signal = AlertSignal(
            AlertType.GATEWAY_OUTAGE,
            None,
            detail={"gateways": len(since), "silent_s": round(silence or 0)},
        )
        return (await open_alert(conn, signal, now)).change
    await clear_alert(
        conn, AlertType.GATEWAY_OUTAGE, SUBJECT, now, reason=GATEWAY_BACK, outcome=Outcome.OTHER
    )
    return None
