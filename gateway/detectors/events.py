"""A batch of stored events as the detectors read it: parallel arrays, in receive order."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class EventBatch:
    """``device``: index into ``Homes.device_ids``; ``kind``: ``codes.KIND`` (-1: not read);
    ``value``: NaN when the event has none; ``ts``: the stored event time (epoch s);
    ``received``: when the gateway received it; ``untrusted``: flagged ``clock_skew`` or
    ``no_device_time`` — its ``ts`` is the receive time and says nothing earlier;
    ``battery``: the % the message reported (NaN: none), read from a file by ``tanfang
    evaluate`` for the device-health rule (None: not read — the live gateway keeps it in
    the devices table)."""

    device: Ints
    kind: Ints
    value: Floats
    ts: Floats
    received: Floats
    untrusted: Bools
    battery: Floats | None = None

    def __len__(self) -> int:
        return len(self.device)

    def time(self) -> Floats:
        """The time the detectors use: the device's when trusted, the receive time if not."""
        return np.where(self.untrusted, self.received, self.ts)

    def take(self, index: Ints | slice) -> EventBatch:
        return EventBatch(
            self.device[index],
            self.kind[index],
            self.value[index],
            self.ts[index],
            self.received[index],
            self.untrusted[index],
            None if self.battery is None else self.battery[index],
        )


def empty_batch() -> EventBatch:
    f = np.empty(0, dtype=np.float64)
    i = np.empty(0, dtype=np.intp)
    return EventBatch(i, i, f, f, f, np.empty(0, dtype=bool))


def rounds(keys: Ints) -> Iterator[Ints]:
    """Positions of ``keys`` in rounds where each key appears at most once, earlier
    occurrences in earlier rounds: sequential per-key updates done a round at a time."""
    if len(keys) <= 1:
        if len(keys):
            yield np.zeros(1, dtype=np.intp)
        return
    order = np.argsort(keys, kind="stable")
    k = keys[order]
    first = np.empty(len(k), dtype=bool)
    first[0] = True
    np.not_equal(k[1:], k[:-1], out=first[1:])
    if first.all():  # every key once (a sweep's few events, mostly): one round
        yield order
        return
    pos = np.arange(len(k))
    rank = pos - np.maximum.accumulate(np.where(first, pos, 0))
    for r in range(int(rank.max()) + 1):
        yield order[rank == r]
