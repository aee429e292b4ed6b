"""The fleet's device ids as the detection process holds them: one array of bytes (UTF-8;
contract §1: 1–64 characters of ``[A-Za-z0-9_.-]``) and its sorted order, not a Python
string and a dict entry per device. A million devices of 14-character ids: 22 MB (the
longest id sets every entry's width, so 72 MB if one is 64 characters) instead of ~150 MB
of objects and, worse, the holes those objects leave in the heap once the fleet's rows they
were read from are freed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.intp]
Names = npt.NDArray[np.bytes_]

# Ids encoded and searched at once: their bytes objects and arrays stay a few MiB.
LOOKUP_IDS: Final = 100_000


class DeviceIds:
    """Device ``i`` is ``name(i)``; ``lookup`` answers the positions of many ids at once (a
    binary search of the sorted copy), ``position`` of one."""

    __slots__ = ("_names", "_order")

    def __init__(self, ids: Iterable[str]) -> None:
        encoded = [i.encode() for i in ids]
        self._names: Names = np.array(encoded, dtype=bytes)
        self._order: Ints = np.argsort(self._names, kind="stable")

    def __len__(self) -> int:
        return len(self._names)

    def __iter__(self) -> Iterator[str]:
        return (n.decode() for n in self._names.tolist())

    def name(self, i: int) -> str:
        return bytes(self._names[i]).decode()

    def lookup(self, ids: Sequence[str]) -> Ints:
        """The position of each of ``ids`` (-1: not a device of the fleet), ``LOOKUP_IDS``
        at a time (a new leader's replay asks for millions)."""
        parts = [
            self._find(np.array([i.encode() for i in ids[lo : lo + LOOKUP_IDS]], dtype=bytes))
            for lo in range(0, len(ids), LOOKUP_IDS)
        ]
        return np.concatenate(parts) if parts else np.full(0, -1, dtype=np.intp)

    def positions_of(self, other: DeviceIds) -> Ints:
        """For each device of ``other``, its position here (-1: not here)."""
        return self._find(other._names)

    def _find(self, wanted: Names) -> Ints:
        if not len(wanted) or not len(self._names):
            return np.full(len(wanted), -1, dtype=np.intp)
        width = self._names.dtype.itemsize
        # An id longer than every one held is none of them (cut to the width, it could
        # match one).
        fits = np.char.str_len(wanted) <= width
        wanted = wanted.astype(self._names.dtype)
        at = np.searchsorted(self._names, wanted, sorter=self._order)
        where = self._order[np.minimum(at, len(self._order) - 1)]
        found = fits & (self._names[where] == wanted)
        out: Ints = np.where(found, where, -1)
        return out

    def position(self, device_id: str) -> int:
        """The position of one device of the fleet (``KeyError``: none)."""
        at = int(self.lookup([device_id])[0])
        if at < 0:
            raise KeyError(device_id)
        return at
