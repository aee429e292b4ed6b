"""SQL of the device-health sweep: the fleet's liveness in one read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from store.db import Conn

# One row per device that may have news for the sweep: under its Last Will (status
# "offline"), silent for ``missed`` heartbeat intervals by its own last message, a battery
# below ``low``, or an active device-health alert (which may clear). Every other device —
# nearly all of a healthy fleet — has nothing to open or clear, and is left in the
# database: the read stays small, and the gateway's event loop (the SOS path) is not held
# up decoding 100 000 rows every few seconds. A superset of what the detector acts on; the
# detector (``gateway.device_health``) decides.
# Columns: when it was last heard (an event, or a status "online") in epoch seconds, its
# Last Will standing, its battery. Plain tuples, straight into the sweep's arrays.
_CANDIDATES: Final = (
    "WITH d AS (SELECT id, type, elder_id, heartbeat_interval_s, online, battery,"
    "   GREATEST(last_seen, CASE WHEN online THEN status_changed_at END) AS heard"
    "   FROM devices)"
    " SELECT id, type, elder_id, heartbeat_interval_s, extract(epoch FROM heard)::float8,"
    " online IS FALSE, battery::float8 FROM d"
    " WHERE online IS FALSE OR battery < %(low)s"
    " OR heard < %(now)s::timestamptz - %(missed)s * make_interval(secs => heartbeat_interval_s)"
    " OR id IN (SELECT device_id FROM alerts WHERE status IN ('open', 'acked')"
    "   AND type IN ('device_offline', 'battery_low') AND device_id IS NOT NULL)"
)


@dataclass(frozen=True, slots=True)
class FleetHealth:
    """Columns of the devices read, slot ``i`` = one device (None: never heard / unknown)."""

    ids: list[str]
    types: list[str]
    elder_ids: list[str | None]
    interval_s: list[int]
    last_heard: list[float | None]
    will: list[bool]
    battery: list[float | None]


async def fleet_health(conn: Conn, *, now: datetime, missed: int, low: float) -> FleetHealth:
    """The devices that may have news at ``now`` (see ``_CANDIDATES``): ``missed`` heartbeat
    intervals of silence, a battery below ``low``."""
    cur = await conn.execute(_CANDIDATES, {"now": now, "missed": missed, "low": low})
    rows = await cur.fetchall()
    if not rows:
        return FleetHealth([], [], [], [], [], [], [])
    ids, types, elders, intervals, heard, will, battery = (list(c) for c in zip(*rows, strict=True))
    return FleetHealth(ids, types, elders, intervals, heard, will, battery)
