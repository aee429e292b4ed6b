"""Dead letters fed back through the gateway's decoder and write path
(``devices.replay.DeadLetterReplayer``, called by ``POST /api/v1/dead-letters/replay``).

Each letter is decoded as the gateway decodes a message (topic, device registry, event
decoder, the kinds of the device's type), with its original receive time: an old SOS is
stored as old, and the clock rules apply to when it really arrived. What is valid now is
written by ``write_batch`` with the gateway's in-transaction steps (a replayed ``checkin``
becomes an online visit), under the usual dedupe key, in the transaction that removes its
letter. What is still refused stays, with its reason of now; a letter whose payload was
kept only in part stays as it is. Letters are taken ``REPLAY_CHUNK`` at a time, locked
(``SKIP LOCKED``: two replays never take the same letter).

A replay does not touch the devices' rows (last seen, battery, online), does not apply a
past status, and feeds no post-commit sink: it tells of the past, and must not page anyone
for an emergency long over (the stored events and their flags are there to read).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import psycopg

from devices import replay_repo
from devices.adapters.base import AdapterSettings
from devices.adapters.registry import ADAPTERS
from devices.dead_letters_repo import DeadLetter
from devices.ingest_repo import ensure_stage, write_batch
from devices.kind_check import check_kinds
from devices.registry import DeviceEntry
from devices.replay import TRUNCATED, ReplayResult, ReplaySelection
from devices.replay_repo import StoredLetter
from devices.schema import (
    Channel,
    Event,
    Reason,
    Topic,
    decode_events,
    decode_status,
    parse_topic,
)
from gateway.foreign import Planned
from gateway.ingest import DEAD_LETTER_PAYLOAD_MAX
from gateway.kinds import raise_unexpected, refused_letters
from gateway.replay_foreign import ForeignReplay, plan_letters
from gateway.rows import copy_rows
from gateway.steps import InTransactionStep
from store.pool import Pool

log = logging.getLogger(__name__)

# Letters per transaction: their events are written as one batch, and the letters stay
# locked until it commits. Small enough to keep each transaction short beside live ingest.
REPLAY_CHUNK: Final = 200

# The same data fails again however often it is tried: the chunk is split to find the letter.
_SAME_AGAIN = (psycopg.DataError, psycopg.IntegrityError)


@dataclass(slots=True)
class _Plan:
    """What one chunk of letters comes to, before it is written."""

    root: str
    letters: int = 0
    events: list[Event] = field(default_factory=list)
    elder_ids: list[str | None] = field(default_factory=list)
    keys: set[tuple[object, ...]] = field(default_factory=set)
    new_letters: list[DeadLetter] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    refused: list[tuple[int, str, str]] = field(default_factory=list)
    by_reason: Counter[str] = field(default_factory=Counter)
    unexpected: list[tuple[Event, str]] = field(default_factory=list)

    def stay(self, letter: StoredLetter, reason: str, detail: str | None) -> None:
        self.by_reason[reason] += 1
        if reason != letter.reason or detail != letter.detail:
            self.refused.append((letter.id, reason, detail or ""))

    def add_events(self, events: Sequence[Event], elder_id: str | None) -> None:
        for event in events:
            if event.seq is not None:
                # Two letters of one event (a device's resend): one row, as in a live batch.
                key = (event.device_id, event.ts, event.seq)
                if key in self.keys:
                    continue
                self.keys.add(key)
            self.events.append(event)
            self.elder_ids.append(elder_id)


@dataclass(slots=True)
class _Tally:
    replayed: int = 0
    stored: int = 0
    still_refused: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)

    def add(self, plan: _Plan, stored: int) -> None:
        self.replayed += plan.letters
        self.stored += stored
        self.by_reason.update(plan.by_reason)
        self.still_refused += plan.by_reason.total()

    def result(self) -> ReplayResult:
        return ReplayResult(
            replayed=self.replayed,
            stored_events=self.stored,
            still_refused=self.still_refused,
            by_reason=dict(sorted(self.by_reason.items())),
        )


class GatewayReplay:
    """The ``DeadLetterReplayer`` of ``tanfang.runtime``: no MQTT session needed."""

    def __init__(
        self,
        pool: Pool,
        topic_root: str,
        *,
        steps: Sequence[InTransactionStep] = (),
        adapter_settings: AdapterSettings | None = None,
    ) -> None:
        self._pool = pool
        self._root = topic_root
        self._steps = list(steps)
        self._adapters = ADAPTERS
        self._adapter_settings = adapter_settings or AdapterSettings()

    async def replay(self, selection: ReplaySelection) -> ReplayResult:
        tally = _Tally()
        # Each replay adapts its letters with an edge memory of its own.
        foreign = ForeignReplay(self._adapters, self._adapter_settings)
        async with self._pool.connection() as conn:
            upto = await replay_repo.last_id(conn)
        after = 0
        while True:
            async with self._pool.connection() as conn:
                ids = await replay_repo.selected_ids(
                    conn, selection, after=after, upto=upto, limit=REPLAY_CHUNK
                )
            if not ids:
                break
            await self._replay_ids(ids, tally, foreign)
            after = ids[-1]
        result = tally.result()
        log.info(
            "replayed %s dead letters: %s events stored, %s still refused",
            result.replayed,
            result.stored_events,
            result.still_refused,
        )
        return result

    async def _replay_ids(self, ids: list[int], tally: _Tally, foreign: ForeignReplay) -> None:
        try:
            plan, stored = await self._write(ids, foreign)
        except _SAME_AGAIN as exc:
            if len(ids) == 1:
                tally.add(await self._refused_by_database(ids[0], exc), 0)
                return
            middle = len(ids) // 2
            await self._replay_ids(ids[:middle], tally, foreign)
            await self._replay_ids(ids[middle:], tally, foreign)
            return
        for event, device_type in plan.unexpected:
            raise_unexpected([event], device_type)
        tally.add(plan, stored)

    async def _write(self, ids: list[int], foreign: ForeignReplay) -> tuple[_Plan, int]:
        """One transaction: the letters locked, their events stored, the letters settled."""
        async with self._pool.connection() as conn:
            await ensure_stage(conn)
            async with conn.transaction():
                letters = await replay_repo.take(conn, ids)
                devices = await replay_repo.devices_of(
                    conn, sorted({d.device_id for d in letters if d.device_id is not None})
                )
                plan = _Plan(self._root, letters=len(letters))
                unbound = [d for d in letters if d.reason == Reason.UNBOUND_SOURCE]
                for letter in letters:
                    if letter.reason != Reason.UNBOUND_SOURCE:
                        _plan_letter(plan, letter, devices)
                for letter, planned in await plan_letters(conn, unbound, foreign):
                    _plan_foreign(plan, letter, planned)
                kinds = {e.kind for e in plan.events}
                result = await write_batch(
                    conn,
                    plan.events,
                    copy_rows(plan.events, plan.elder_ids),
                    plan.new_letters,
                    [],
                    which=True,
                    steps=[s.run for s in self._steps if not s.kinds.isdisjoint(kinds)],
                    touch_devices=False,
                )
                await replay_repo.settle(conn, plan.removed, plan.refused)
        return plan, result.stored

    async def _refused_by_database(self, letter_id: int, exc: psycopg.Error) -> _Plan:
        """A letter whose events the database refuses: it stays, as the writer would refuse it."""
        plan = _Plan(self._root)
        async with self._pool.connection() as conn, conn.transaction():
            for letter in await replay_repo.take(conn, [letter_id]):
                plan.letters += 1
                plan.stay(
                    letter, Reason.BAD_FIELD.value, f"refused by the database ({exc.sqlstate})"
                )
            await replay_repo.settle(conn, [], plan.refused)
        return plan


def _plan_letter(plan: _Plan, letter: StoredLetter, devices: dict[str, DeviceEntry]) -> None:
    """Decode one letter as the gateway decodes a message, into ``plan``."""
    if letter.truncated:
        plan.by_reason[TRUNCATED] += 1
        return
    parsed = parse_topic(letter.topic, plan.root)
    if parsed is None and letter.source_kind is not None and letter.device_id is not None:
        # A foreign source's event refused for its device (kind_not_allowed): the payload is
        # the event as the adapter made it, decoded as the device's own.
        parsed = Topic(letter.device_id, Channel.EVENTS)
    if parsed is None:
        # Not a device's topic (or another topic root): nothing to decode it as.
        plan.stay(letter, letter.reason, letter.detail)
        return
    entry = devices.get(parsed.device_id)
    if entry is None:
        plan.stay(letter, Reason.UNKNOWN_DEVICE.value, "device is not registered")
        return
    if parsed.channel is Channel.STATUS:
        if decode_status(letter.payload) is None:
            plan.stay(letter, Reason.BAD_STATUS.value, 'status must be "online" or "offline"')
        else:
            plan.removed.append(letter.id)  # a past status is not the device's state now
        return
    decoded = decode_events(parsed.device_id, letter.payload, letter.received_at)
    kept, wrong, unexpected = check_kinds(entry.type, decoded.events)
    refusals = [_letter_of(letter, r.reason, r.detail, r.payload) for r in decoded.refusals]
    refusals += refused_letters(
        wrong,
        decoded.events,
        entry.type,
        topic=letter.topic,
        payload=letter.payload,
        received_at=letter.received_at,
        payload_max=DEAD_LETTER_PAYLOAD_MAX,
    )
    if not kept:
        first = refusals[0]
        plan.stay(letter, first.reason, first.detail)
        return
    # Stored: the letter goes; its items still refused become letters of their own, as
    # the gateway makes them of a message's bad items.
    plan.removed.append(letter.id)
    plan.new_letters += refusals
    plan.by_reason.update(r.reason for r in refusals)
    plan.add_events(kept, entry.elder_id)
    plan.unexpected += [(e, entry.type) for e in unexpected]


def _plan_foreign(plan: _Plan, letter: StoredLetter, planned: Planned | None) -> None:
    """A foreign letter's plan (``gateway.replay_foreign``) into ``plan``."""
    if letter.truncated:
        plan.by_reason[TRUNCATED] += 1
        return
    if planned is None:
        plan.stay(letter, letter.reason, letter.detail)
        return
    plan.removed.append(letter.id)
    plan.new_letters += planned.letters
    plan.by_reason.update(d.reason for d in planned.letters)
    for group in planned.events.values():
        plan.add_events(group.events, group.elder_id)
    plan.unexpected += planned.unexpected


def _letter_of(letter: StoredLetter, reason: Reason, detail: str, payload: bytes) -> DeadLetter:
    return DeadLetter(
        received_at=letter.received_at,
        topic=letter.topic,
        device_id=letter.device_id,
        reason=reason.value,
        detail=detail,
        payload=payload[:DEAD_LETTER_PAYLOAD_MAX],
        payload_size=len(payload),
    )
