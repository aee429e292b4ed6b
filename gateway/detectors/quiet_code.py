"""A day's quiets in one byte each: log-scaled minutes.

28 days × 3 places × 24 hours per elder is 2 KiB in bytes (4 KiB in float16 minutes,
8 KiB in float32 seconds): 100 000 homes' history in ~190 MiB. The codes grow with the
length, so the longest of a day's quiets is the largest code. Code 0 is "no quiet seen";
codes 1–255 step by a constant ratio from 0 min to ``MAX_MIN`` (two days — a longer quiet
is past every limit anyway), so a stored length is within ±1.6 % (and a second) of the
true one (a quiet of 3 h is kept to ±3 min), finer than the ± 3 h widening and the 2.5 × factor the
limits are made with, and exact at 0."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

Codes = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]

MAX_MIN: Final = 2 * 24 * 60.0
_STEPS: Final = 254
_STEP: Final = float(np.log1p(MAX_MIN) / _STEPS)
# code → seconds (float32; code 0 → NaN): decoding is one lookup.
_SECONDS: Final[F32] = np.concatenate(
    ([np.nan], np.expm1(np.arange(_STEPS + 1) * _STEP) * 60.0)
).astype(np.float32)


def encode(seconds: npt.NDArray[np.floating[Any]]) -> Codes:
    """Quiet lengths in seconds (NaN: none) as codes."""
    minutes = np.clip(seconds / np.float32(60.0), 0.0, MAX_MIN)
    steps = np.rint(np.log1p(minutes) / np.float32(_STEP))
    out: Codes = np.where(np.isnan(seconds), 0, 1 + np.nan_to_num(steps)).astype(np.uint8)
    return out


def decode(codes: Codes) -> F32:
    """Codes back to seconds (float32; NaN where no quiet was seen)."""
    out: F32 = _SECONDS[codes]
    return out
