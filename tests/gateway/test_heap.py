"""``heap.release`` gives back the free pages a large passing use left between the arrays
that stay (glibc only: elsewhere it does nothing)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from gateway import heap

PAGE = os.sysconf("SC_PAGE_SIZE")
MIB = 1 << 20


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * PAGE


@pytest.mark.skipif(heap._TRIM is None, reason="glibc's malloc_trim is not here")
@pytest.mark.skipif(
    "MALLOC_MMAP_THRESHOLD_" in os.environ or "LD_PRELOAD" in os.environ,
    reason="glibc's own mmap threshold or another allocator: the holes are not made",
)
def test_the_holes_left_between_arrays_that_stay_are_given_back() -> None:
    # Freeing a large mmapped array raises glibc's mmap threshold: the medium arrays after
    # it come from the heap, as the baselines' rebuild's do.
    big = np.ones(16 * MIB, dtype=np.uint8)
    del big
    arrays = [np.ones(MIB, dtype=np.uint8) for _ in range(160)]
    kept = arrays[::8]  # what stays: one in eight, spread through the heap
    del arrays
    held = _rss()
    heap.release()
    given = held - _rss()
    assert given > 80 * MIB, f"{given / MIB:.0f} MiB given back"
    assert all(int(a.sum()) == MIB for a in kept)  # what stays is untouched
