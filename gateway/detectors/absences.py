"""Declared absences (contract §2, ``elder_absences``) as arrays: which elders are under one
at a moment. The live gateway reads those in force at every sweep from the database; the
history's (the replay of a new leader) and a file's (``tanfang evaluate``) are held here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class Absences:
    """One row per declared absence: the elder's slot, from, to (epoch s)."""

    slot: Ints
    start: Floats
    end: Floats

    @classmethod
    def of(cls, rows: Iterable[tuple[str, float, float]], elder_ids: Sequence[str]) -> Absences:
        """``(elder id, from, to)`` rows for the elders ``elder_ids`` (their slots; others
        left out)."""
        slots = {e: i for i, e in enumerate(elder_ids)}
        kept = [(slots[e], a, b) for e, a, b in rows if e in slots]
        return cls(
            slot=np.array([r[0] for r in kept], dtype=np.intp),
            start=np.array([r[1] for r in kept], dtype=np.float64),
            end=np.array([r[2] for r in kept], dtype=np.float64),
        )

    def at(self, now: float, n: int) -> Bools:
        """Per slot of ``n``: under a declared absence at ``now``."""
        out = np.zeros(n, dtype=bool)
        out[self.slot[(self.start <= now) & (now < self.end)]] = True
        return out
