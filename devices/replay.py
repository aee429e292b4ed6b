"""Replaying dead letters: what the API asks for and what it is told, and the interface it
calls (``DeadLetterReplayer``).

The API may not import the gateway (docs/architecture.md); the composition root
(``tanfang.runtime``) hands it an implementation built on the gateway's own decode and write
path (``gateway.replay``), so that a replayed event is checked and stored exactly as a live
one, in-transaction steps included (a replayed ``checkin`` becomes an online visit).
"""

from __future__ import annotations

from typing import Annotated, Final, Protocol

from pydantic import BaseModel, ConfigDict, Field

from devices.schema import DEVICE_ID_RE, Reason

# By-reason key of letters that cannot be replayed: only the head of their payload was kept.
TRUNCATED: Final = "truncated"
# One request names at most this many ids: a selection larger than that is a filter's job.
MAX_REPLAY_IDS: Final = 10_000


class ReplaySelection(BaseModel):
    """Which dead letters to replay: all of them when nothing is given; the conditions given
    must all hold."""

    model_config = ConfigDict(extra="forbid")

    device_id: str | None = Field(default=None, pattern=f"^{DEVICE_ID_RE.pattern}$")
    reason: Reason | None = None
    ids: list[Annotated[int, Field(ge=1)]] | None = Field(
        default=None, min_length=1, max_length=MAX_REPLAY_IDS
    )
    source_kind: str | None = Field(
        default=None, min_length=1, max_length=70, description="a foreign source's letters"
    )
    source_addresses: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, min_length=1, max_length=100, description="… of these addresses"
    )


class ReplayResult(BaseModel):
    replayed: int = Field(description="dead letters taken up")
    stored_events: int = Field(description="events newly stored (an event stored before is not)")
    still_refused: int = Field(description="dead letters left, or made of a letter's bad items")
    by_reason: dict[str, int] = Field(
        description=f"dead letters left, by their reason; {TRUNCATED!r}: only the head of the"
        " payload was kept, so the letter cannot be replayed (its reason is not changed)"
    )


class DeadLetterReplayer(Protocol):
    async def replay(self, selection: ReplaySelection) -> ReplayResult:
        """Feed the selected dead letters back through the decoder and the writer, with their
        original receive time: what is valid now is stored (once) and leaves the list."""
        ...
