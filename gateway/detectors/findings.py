"""What the detectors found, as arrays (one row per finding), and the sentence that says
it in Chinese and English: what was seen against what is usual."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

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
PULSE_HIGH: Final = 6  # heart rate above range, sustained
PULSE_LOW: Final = 7
DROP: Final = 8  # daily activity well below the elder's usual, days on end
RESTLESS: Final = 9  # nights far busier than usual
STUCK: Final = 10  # a motion sensor firing for hours without a pause
NOT_BACK: Final = 11  # out later in the evening than ever seen

SEVERITY: Final[dict[int, str]] = {
    codes.INACTIVITY: "high",
    codes.NIGHT_WANDERING: "high",
    codes.ABNORMAL_TEMPERATURE: "high",
    codes.ABNORMAL_VITALS: "high",
    codes.ACTIVITY_DROP: "low",
    codes.DEVICE_OFFLINE: "low",
}


@dataclass(frozen=True, slots=True)
class Findings:
    """Row ``k``: elder ``slot[k]``, alert type ``kind[k]`` (``codes.ALERT_TYPES``), why
    (``reason[k]``), since when the condition holds (``since``: the last activity, the
    first hot reading), what is usual (``usual_s``: a duration, or a value; NaN: not
    learned yet) and the limit crossed (``limit_s``); ``device``: the device the finding is
    about (a stuck sensor; ``None`` or -1: the home, not one device)."""

    slot: Ints
    kind: Ints
    reason: Ints
    since: Floats
    usual_s: Floats
    limit_s: Floats
    device: Ints | None = None

    def __len__(self) -> int:
        return len(self.slot)


_NO_ROWS: Final = np.empty(0, dtype=np.intp)
_NO_VALUES: Final = np.empty(0)
_NONE: Final = Findings(_NO_ROWS, _NO_ROWS, _NO_ROWS, _NO_VALUES, _NO_VALUES, _NO_VALUES, _NO_ROWS)


def no_findings() -> Findings:
    """No rows (shared: empty arrays hold nothing to change)."""
    return _NONE


def devices(found: Findings) -> Ints:
    """Each row's device (-1: none)."""
    if found.device is None:
        return np.full(len(found), -1, dtype=np.intp)
    return found.device


def concat(parts: list[Findings]) -> Findings:
    parts = [p for p in parts if len(p)]  # most detectors find nothing at most sweeps
    if not parts:
        return no_findings()

    def column(name: str) -> npt.NDArray[Any]:
        return np.concatenate([getattr(p, name) for p in parts])

    return Findings(
        slot=column("slot"),
        kind=column("kind"),
        reason=column("reason"),
        since=column("since"),
        usual_s=column("usual_s"),
        limit_s=column("limit_s"),
        device=np.concatenate([devices(p) for p in parts]),
    )


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
    limit: float = float("nan"),
) -> tuple[str, str]:
    """The finding in words, (Chinese, English), e.g. "no activity for 3 h 10 min since
    09:42; a quiet beginning at this hour usually ends within 55 min" (the hour the quiet
    began, ``since``)."""
    if kind in (codes.ABNORMAL_VITALS, codes.ACTIVITY_DROP, codes.DEVICE_OFFLINE):
        return describe_more(kind, reason, since, usual_s, now, offset_s, limit=limit)
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
    if reason == NOT_BACK:
        return _not_back(at, now, usual_s, limit, offset_s)
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


def _not_back(
    at: str, now: float, usual_s: float, limit_s: float, offset_s: float
) -> tuple[str, str]:
    """``usual_s``: the latest the elder was seen out (s after local midnight; NaN: never,
    or not learned yet), ``limit_s`` the latest return expected."""
    hhmm = clock_text(now, offset_s)
    if np.isnan(usual_s):
        expected = clock_text(limit_s - offset_s, offset_s)
        return (
            f"{at} 出門，至 {hhmm} 仍未返家；此人少出門，應於 {expected} 前返家",
            f"went out at {at} and not back by {hhmm}; seldom out, expected home by {expected}",
        )
    latest = clock_text(usual_s - offset_s, offset_s)
    return (
        f"{at} 出門，至 {hhmm} 仍未返家；以往在外最晚至 {latest}",
        f"went out at {at} and not back by {hhmm}; never out later than {latest} before",
    )


def describe_more(  # noqa: PLR0917 - one finding's fields
    kind: int, reason: int, since: float, usual: float, now: float, offset_s: float, *, limit: float
) -> tuple[str, str]:
    """The sentences of ``abnormal_vitals`` (``usual``: the latest reading, ``limit``: the
    bound crossed), ``activity_drop`` (``usual``: the usual per day, ``limit``: the recent
    days' level) and a stuck sensor (``device_offline``)."""
    at = clock_text(since, offset_s)
    zh_for, en_for = duration_text(now - since)
    if kind == codes.ABNORMAL_VITALS:
        above = reason == PULSE_HIGH
        zh_side, en_side = ("高於", "above") if above else ("低於", "below")
        return (
            f"心率 {usual:.0f} 次/分，自 {at} 起 {zh_for} 持續{zh_side} {limit:.0f}"
            "（正常範圍 40–130）",
            f"heart rate {usual:.0f} bpm, {en_side} {limit:.0f} for {en_for} since {at} "
            "(normal range 40–130)",
        )
    if kind == codes.ACTIVITY_DROP:
        days = max(1, round((now - since) / 86_400))
        share = 100 * limit / usual if usual > 0 else 0.0
        if reason == RESTLESS:
            return (
                f"近 {days} 晚夜間（00:00–05:00）活動 {limit:.0f} 次，平時約 {usual:.0f} 次",
                f"restless nights: {limit:.0f} activity events between 00:00 and 05:00 "
                f"on each of the last {days} nights against a usual {usual:.0f}",
            )
        return (
            f"近 {days} 天在家活動只有平時的 {share:.0f}%（每小時 {limit:.1f} 次，"
            f"過去 28 天中位數 {usual:.1f} 次）",
            f"activity at home at {share:.0f} % of usual for the last {days} days "
            f"({limit:.1f} events an hour against a median of {usual:.1f} over 28 days)",
        )
    return (
        f"動作感應器自 {at} 起 {zh_for} 不停觸發（疑似故障），期間不計為活動",
        f"a motion sensor has fired without a pause for {en_for} since {at}: stuck, "
        "not counted as activity",
    )
