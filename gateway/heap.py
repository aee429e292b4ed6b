"""Giving the heap's free memory back to the system after a large passing use of it.

The detection process rebuilds its baselines once a day: hundreds of MiB of temporaries at
100 000 homes (``gateway.detectors.baseline.BUILD_CHUNK``). Once the rebuild has raised
glibc's mmap threshold, medium arrays come from the heap, and the free holes they leave
between the arrays that stay (the new baselines) are kept by the process: ~40 MiB of RSS
that nothing uses until the next rebuild (``bench/detect.py``). ``malloc_trim(0)`` returns
every free page of the heap. Elsewhere than glibc (musl, macOS) it does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Final


def _trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


_TRIM: Final = _trim()


def release() -> None:
    """Return the heap's free pages to the system (glibc ``malloc_trim(0)``)."""
    if _TRIM is not None:
        _TRIM(0)
