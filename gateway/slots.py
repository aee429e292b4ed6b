"""Gateway slots: no event waits on a dead gateway (docs/ingest.md, "Gateway slots").

With ``TANFANG_GATEWAY_SLOTS`` = N, the members of the shared subscription group are N named
slots ``gw-0 … gw-{N-1}``; slot ``gw-i``'s MQTT client id is ``{TANFANG_MQTT_CLIENT_ID}-gw-i``.
A gateway claims the lowest free slot with a PostgreSQL session-level advisory lock on a
connection of its own (``SlotKeeper``): a dead process's connection closes and its lock is
free at once. The broker keeps routing a share of the group's messages to the dead member's
persistent session; a live gateway that sees the slot free for ``GRACE_S`` takes it, drains
its session through the normal ingest path and removes it from the group
(``gateway.drain``), then releases the slot for a gateway that starts.

When the keeper's connection drops (a database restart frees every lock at once), it
reconnects and claims its own slot again first; the grace period is what keeps another
gateway from taking it meanwhile. A gateway that finds its own slot taken on return stops
(``SlotLostError``): two sessions with one client id would take the session from each other.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

# How often the keeper looks at the slots' locks: also how soon it notices that its own
# connection dropped.
POLL_S = 0.5
# A free slot is an orphan only after this long: enough for every live gateway to reconnect
# and claim its own slot again after a database restart (the pool reconnects within about a
# second), short enough that an SOS in a dead gateway's session is stored within 5 s.
GRACE_S = 2.0

# Drains one orphan's session (its MQTT client id); returns when the session is gone.
Drain = Callable[[str], Coroutine[Any, Any, None]]


class SlotLostError(RuntimeError):
    """Another gateway holds this gateway's slot: it must not use that client id again."""


@dataclass(frozen=True, slots=True)
class SlotNames:
    """The N slots of one deployment: their names, client ids and lock key."""

    prefix: str  # TANFANG_MQTT_CLIENT_ID
    count: int

    @property
    def key(self) -> int:
        """The slot locks' first key (an int4 of the prefix): deployments that share a
        database but not a client id prefix have slots of their own."""
        return lock_key(f"tanfang.slots:{self.prefix}")

    @property
    def drain_key(self) -> int:
        """The first key of the marker a drainer holds beside the slot's lock, taken before
        it and released after: a slot held for a drain is not one a gateway uses (whose
        death would leave a session to drain again)."""
        return lock_key(f"tanfang.slots.drain:{self.prefix}")

    @staticmethod
    def name(slot: int) -> str:
        return f"gw-{slot}"

    def client_id(self, slot: int) -> str:
        return f"{self.prefix}-{self.name(slot)}"


@dataclass
class OrphanWatch:
    """Which free slots are orphans, from successive looks at the held locks (pure).

    A slot is an orphan when it has been free for ``grace_s`` and may hold a session: a
    gateway held it as its own since this one last drained it (or this one has not looked
    at it since it started). A drained slot is not drained again until some gateway has
    used it in between; a slot being drained (``draining``) is neither."""

    count: int
    grace_s: float
    mine: set[int] = field(default_factory=set)
    _free_since: dict[int, float] = field(default_factory=dict)
    _suspect: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._suspect = set(range(self.count))

    def observe(
        self, held: frozenset[int], now: float, draining: frozenset[int] = frozenset()
    ) -> list[int]:
        """The orphans given the slots held now and those being drained (``mine`` are
        never orphans)."""
        orphans = []
        for slot in range(self.count):
            if slot in self.mine or slot in held or slot in draining:
                self._free_since.pop(slot, None)
                if slot in held and slot not in self.mine and slot not in draining:
                    self._suspect.add(slot)
                continue
            since = self._free_since.setdefault(slot, now)
            if slot in self._suspect and now - since >= self.grace_s:
                orphans.append(slot)
        return orphans

    def restart(self) -> None:
        """Our connection was lost: every free slot's grace period starts again (the others'
        holders are reconnecting too)."""
        self._free_since.clear()

    def drained(self, slot: int) -> None:
        self._suspect.discard(slot)
        self._free_since.pop(slot, None)


def lock_key(text: str) -> int:
    """An int4 advisory-lock key for a name (the first of a two-key lock)."""
    return zlib.crc32(text.encode()) - 2**31
