"""``/api/v1/alerts/stream``: every alert change live, as server-sent events, for consoles;
``/api/v1/alerts/stream-ticket``: a single-use ticket to open it from a browser's
EventSource, which cannot send the bearer token.

Included before ``api.routes.alerts``: its ``/alerts/{alert_id}`` would take ``stream``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Final

from fastapi import APIRouter, Header, HTTPException, Query, status

from api.alert_stream import StreamOpen, alert_events
from api.auth import ElderReader
from api.errors import field_error
from api.schemas import StreamTicket
from api.sse import MEDIA_TYPE, EventStreamResponse
from api.state import StateDep
from api.stream_auth import StreamReader, issue_ticket
from api.stream_hub import StreamsFullError

router = APIRouter(prefix="/alerts", tags=["alerts"])

_MAX_ID: Final = 2**63 - 1
_ID_PATTERN: Final = r"^[0-9]{1,19}$"
# A process whose hub has not read the feed's head yet (just started) answers 503 after this.
_HUB_READY_S: Final = 5.0
_UNAVAILABLE: Final = {"Retry-After": "5"}


@router.post("/stream-ticket", response_model=StreamTicket, status_code=status.HTTP_201_CREATED)
async def stream_ticket(principal: ElderReader, state: StateDep) -> StreamTicket:
    """A ticket that opens the stream once (``GET /alerts/stream?ticket=``) within 60 s, as
    the caller's role and town."""
    return await issue_ticket(state, principal)


@router.get(
    "/stream",
    status_code=status.HTTP_200_OK,
    response_class=EventStreamResponse,
    responses={
        200: {"content": {MEDIA_TYPE: {}}, "description": "`alert` events, one per change"},
        503: {"description": "too many streams open in this process, or it is stopping"},
    },
)
async def stream(
    principal: StreamReader,
    state: StateDep,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", pattern=_ID_PATTERN)
    ] = None,
    last_event_id: Annotated[
        str | None,
        Query(pattern=_ID_PATTERN, description="Resume after this change (or the header)"),
    ] = None,
) -> EventStreamResponse:
    """Every alert change the caller may see, as ``alert`` events (``id``: the change id),
    from now on, or after ``Last-Event-ID`` (header, else ``last_event_id``): nothing is
    lost across a reconnection. Town staff see their own town's; viewers masked."""
    if last_event_id_header is not None:
        resume = _change_id(last_event_id_header, ("header", "Last-Event-ID"))
    elif last_event_id is not None:
        resume = _change_id(last_event_id, ("query", "last_event_id"))
    else:
        resume = None
    hub = state.hub
    if hub is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no live stream in this process")
    try:
        await asyncio.wait_for(hub.ready.wait(), timeout=_HUB_READY_S)
        subscriber = hub.subscribe(lambda change: principal.may_see_town(change.town))
    except (TimeoutError, StreamsFullError):
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "no room for another stream", headers=_UNAVAILABLE
        ) from None
    opened = StreamOpen(principal, subscriber, resume)
    return EventStreamResponse(
        alert_events(state, opened), on_close=lambda: hub.unsubscribe(subscriber)
    )


def _change_id(value: str, loc: tuple[str, str]) -> int:
    change_id = int(value)
    if change_id > _MAX_ID:
        raise field_error(loc, "not a change id", value)
    return change_id
