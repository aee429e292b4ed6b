"""What the detectors found, as arrays (one row per finding), and the sentence that says
it in Chinese and English: what was seen against what is usual."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes
from gateway.detectors.localtime import clock_text

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]

# Why a finding was raised (its ``reason``): the sentence differs.
QUIET: Final = 0  # no activity anywhere for longer than usual at this hour
LATE_WAKE: Final = 1  # not up by the usual time (+ margin)
BATHROOM: Final = 2  # in the bathroom far longer than usual
OUT_AT_NIGHT: Final = 5  # out of the home at night, not back
HOT: Final = 3
COLD: Final = 4

SEVERITY: Final[dict[int, str]] = {
    codes.INACTIVITY: "high",
    codes.NIGHT_WANDERING: "high",
    codes.ABNORMAL_TEMPERATURE: "high",
}


@dataclass(frozen=True, slots=True)
class Findings:
    """Row ``k``: elder ``slot[k]``, alert type ``kind[k]`` (``codes.ALERT_TYPES``), why
    (``reason[k]``), since when the condition holds (``since``: the last activity, the
    first hot reading), what is usual (``usual_s``: a duration, or a value; NaN: not
    learned yet) and the limit crossed (``limit_s``)."""

    slot: Ints
    kind: Ints
    reason: Ints
    since: Floats
    usual_s: Floats
    limit_s: Floats

    def __len__(self) -> int:
        return len(self.slot)


def no_findings() -> Findings:
    f = np.empty(0)
    i = np.empty(0, dtype=np.intp)
    return Findings(i, i, i, f, f, f)


def concat(parts: list[Findings]) -> Findings:
    if not parts:
        return no_findings()
    return Findings(*(np.concatenate([getattr(p, f) for p in parts]) for f in Findings.__slots__))


def duration_text(seconds: float) -> tuple[str, str]:
    """(Chinese, English): ``3 小時 10 分鐘``, ``3 h 10 min``."""
    m = max(0, round(seconds / 60))
    h, m = divmod(m, 60)
    if h:
        return f"{h} 小時 {m} 分鐘", f"{h} h {m} min"
    return f"{m} 分鐘", f"{m} min"


def describe(  # noqa: PLR0917 - one finding's fields
    kind: int,
    reason: int,
    since: float,
    usual_s: float,
    now: float,
    offset_s: float,
    *,
    weekend: bool = False,
    value: float = float("nan"),
) -> tuple[str, str]:
    """The finding in words, (Chinese, English), e.g. "no activity for 3 h 10 min since
    09:42; a quiet beginning at this hour usually ends within 55 min" (the hour the quiet
    began, ``since``)."""
    at = clock_text(since, offset_s)
    zh_for, en_for = duration_text(now - since)
    zh_day, en_day = ("週末", "at weekends") if weekend else ("平日", "on weekdays")
    if np.isnan(usual_s):
        zh_usual, en_usual = "尚未學到此人的作息（預設門檻）", "not learned yet (default threshold)"
    else:
        zh_u, en_u = duration_text(usual_s)
        zh_usual, en_usual = (
            f"此時段開始的靜止通常 {zh_u}內結束",
            f"a quiet beginning at this hour usually ends within {en_u}",
        )
    if kind == codes.ABNORMAL_TEMPERATURE:
        word_zh, word_en = ("高溫", "hot") if reason == HOT else ("低溫", "cold")
        return (
            f"室內{word_zh} {value:.1f} °C，自 {at} 起持續 {zh_for}",
            f"indoor {word_en}: {value:.1f} °C, sustained for {en_for} since {at}",
        )
    if kind == codes.NIGHT_WANDERING:
        return (
            f"{at} 夜間出門，{zh_for} 未返家；此人平時夜間不出門",
            f"went out at {at} at night and not back for {en_for}; "
            "going out at night is not usual for this elder",
        )
    if reason == BATHROOM:
        zh_u, en_u = duration_text(usual_s if not np.isnan(usual_s) else 0.0)
        return (
            f"自 {at} 起在浴室 {zh_for} 無動靜；通常 {zh_u} 內離開",
            f"in the bathroom with no movement for {en_for} since {at}; usually out within {en_u}",
        )
    if reason == LATE_WAKE:
        up = clock_text(usual_s - offset_s, offset_s) if not np.isnan(usual_s) else "?"
        hhmm = clock_text(now, offset_s)
        return (
            f"至 {hhmm} 仍未起床（最後活動 {at}）；{zh_day}通常 {up} 前起床",
            f"not up by {hhmm} (last activity {at}); {en_day} usually up by {up}",
        )
    return (
        f"自 {at} 起 {zh_for} 無活動；{zh_usual}",
        f"no activity for {en_for} since {at}; {en_usual}",
    )
