"""Dead letters of foreign sources replayed through their adapter (``gateway.replay``).

A letter of an address that was bound to no device (``unbound_source``) is adapted again
(its MQTT adapter, or the generic HTTP body's ``adapt_body``), with an edge memory of the
replay's own, in the order the letters came; the readings of the address now bound (or of
its aliases) become that device's events through the same planning as live messages
(``gateway.foreign``). Readings of other addresses in the same message are left out: they
were stored, or refused, when the message came.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from devices import sources_repo
from devices.adapters import http_generic
from devices.adapters.base import Adapter, AdapterSettings, Memory, Output, Reading
from devices.adapters.registry import HTTP_PREFIX
from devices.replay_repo import StoredLetter
from gateway.foreign import Message, Planned, plan
from store.db import Conn


@dataclass(slots=True)
class ForeignReplay:
    """The adapters a replay reads letters with, and its edge memory per source."""

    adapters: Mapping[str, Adapter]
    settings: AdapterSettings
    memories: dict[str, Memory] = field(default_factory=dict)

    def outputs(self, letter: StoredLetter) -> list[Output] | None:
        """The letter's outputs, or None when no adapter reads its source here."""
        kind = letter.source_kind or ""
        at = letter.received_at.timestamp()
        if kind.startswith(HTTP_PREFIX):
            return http_generic.adapt_body(letter.payload, at)
        adapter = self.adapters.get(kind)
        if adapter is None:
            return None
        memory = self.memories.setdefault(kind, Memory())
        return adapter.adapt(letter.topic, letter.payload, memory, at, self.settings)


async def plan_letters(
    conn: Conn, letters: Sequence[StoredLetter], replay: ForeignReplay
) -> list[tuple[StoredLetter, Planned | None]]:
    """Each letter with what it comes to now; None: it stays (still unbound, or no adapter)."""
    adapted = [(letter, replay.outputs(letter)) for letter in letters]
    wanted: dict[str, set[str]] = {}
    for letter, outputs in adapted:
        names = wanted.setdefault(letter.source_kind or "", set())
        names.add(letter.source_address or "")
        names.update(o.address for o in outputs or () if isinstance(o, Reading))
    bound = {
        kind: await sources_repo.bound_devices(conn, kind, sorted(names))
        for kind, names in wanted.items()
    }
    planned: list[tuple[StoredLetter, Planned | None]] = []
    for letter, outputs in adapted:
        kind = letter.source_kind or ""
        target = bound[kind].get(letter.source_address or "")
        if outputs is None or target is None:
            planned.append((letter, None))
            continue
        mine = [
            o
            for o in outputs
            if isinstance(o, Reading)
            and (found := bound[kind].get(o.address)) is not None
            and found.device_id == target.device_id
        ]
        message = Message(kind, letter.topic, letter.payload, letter.received_at)
        planned.append((letter, plan(message, mine, bound[kind], {})))
    return planned
