"""The live alert stream of one client: the changes it missed (from ``Last-Event-ID``, read
from the database), then the hub's live changes, each as an ``alert`` event, with a comment
every ``HEARTBEAT_S`` of silence.

Catching up and going live do not lose or repeat a change: the stream subscribes to the hub
first (every change after the hub's position ``start`` reaches it), reads the missed
changes from the database up to ``start`` (final there: the hub moved past them), then
sends the live ones above the last id it sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

import orjson
import psycopg

from alerting import feed_repo
from alerting.feed_repo import FeedChange
from api import sse
from api.auth import Principal
from api.masking import alert_shown
from api.state import AppState
from api.stream_auth import token_alive
from api.stream_hub import StreamEndedError, Subscriber

log = logging.getLogger(__name__)

# A comment this often when nothing else is sent: proxies and load balancers close a
# connection idle for 30-60 s; the client sees the stream is alive. Each one also checks
# that the token is still live (a revoked token's stream ends).
HEARTBEAT_S: Final = 15.0
# How long a client's EventSource waits before reconnecting after the stream ends.
RETRY_MS: Final = 2000
# Missed changes read from the database at a time.
CATCH_UP_PAGE: Final = 500
EVENT: Final = "alert"
# Sent when Last-Event-ID names no change of this database (a reinstalled server): the
# client should reload its list; its id is where the stream goes on from.
RESET_EVENT: Final = "reset"


@dataclass(frozen=True, slots=True)
class StreamOpen:
    """A stream as the route opened it: who reads it, its subscription, and the change id to
    resume after (None: from now on)."""

    principal: Principal
    subscriber: Subscriber
    resume: int | None


def alert_event(change: FeedChange, *, masked: bool) -> bytes:
    """A change as the stream sends it: the alert as the list shows it to this caller."""
    data = {
        "id": str(change.id),
        "change": change.change,
        "at": change.at.isoformat(),
        "town": change.town,
        "alert": alert_shown(change.alert, masked=masked).model_dump(mode="json"),
    }
    return sse.event(change.id, EVENT, orjson.dumps(data))


async def alert_events(state: AppState, opened: StreamOpen) -> AsyncIterator[bytes]:
    """The stream's bytes until the client goes, the token dies, the client falls too far
    behind or the process stops (the client reconnects with ``Last-Event-ID``)."""
    try:
        yield sse.retry(RETRY_MS)
        position = opened.subscriber.start
        if opened.resume is not None:
            position = opened.resume
            if opened.resume > opened.subscriber.start and not await _known(state, opened.resume):
                position = opened.subscriber.start
                yield sse.event(position, RESET_EVENT, b'{"reason": "unknown Last-Event-ID"}')
            async for change in _missed(state, opened, position):
                yield alert_event(change, masked=not opened.principal.sees_identity)
                position = change.id
            position = max(position, opened.subscriber.start)
        async for chunk in _live(state, opened, position):
            yield chunk
    except psycopg.Error as exc:
        # The database went away while catching up or checking the token: the client
        # reconnects and resumes. Class and SQLSTATE only.
        log.warning(
            "alert stream ended: database error (%s, SQLSTATE %s)", type(exc).__name__, exc.sqlstate
        )


async def _known(state: AppState, change_id: int) -> bool:
    async with state.connection() as conn:
        return change_id <= await feed_repo.last_change_id(conn)


async def _missed(state: AppState, opened: StreamOpen, after: int) -> AsyncIterator[FeedChange]:
    """The changes in (``after``, the subscription's start] that the caller may see."""
    upto = opened.subscriber.start
    principal = opened.principal
    while after < upto:
        async with state.connection() as conn:
            found = await feed_repo.changes(conn, after=after, upto=upto, limit=CATCH_UP_PAGE)
        for change in found:
            if principal.may_see_town(change.town):
                yield change
        after = found[-1].id if len(found) == CATCH_UP_PAGE else upto


async def _live(state: AppState, opened: StreamOpen, position: int) -> AsyncIterator[bytes]:
    loop = asyncio.get_running_loop()
    masked = not opened.principal.sees_identity
    sent_at = loop.time()
    while True:
        try:
            change = await opened.subscriber.next(max(0.0, sent_at + HEARTBEAT_S - loop.time()))
        except StreamEndedError as ended:
            yield sse.comment(f"stream ended ({ended.reason.value}): reconnect with Last-Event-ID")
            return
        if change is None:
            if not await _still_allowed(state, opened.principal):
                return
            yield sse.comment("keepalive")
        elif change.id > position:
            yield alert_event(change, masked=masked)
            position = change.id
        else:
            continue  # sent already while catching up
        sent_at = loop.time()


async def _still_allowed(state: AppState, principal: Principal) -> bool:
    try:
        async with state.connection() as conn:
            return await token_alive(conn, principal, state.clock())
    except psycopg.Error:
        return True  # the database is away: the stream goes on, checked at the next beat
