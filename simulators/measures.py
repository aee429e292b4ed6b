"""How hard a set of homes is for a detector: the seven measures that compare simulated homes
with a real single-resident recording (issue 13), computed from the contract's files.

Definitions — kept close to what a detector sees of a home:

- **activity**: any in-home event a person causes: ``motion``, ``door``, ``bed``/``chair``
  (either value), ``water``, ``sos``/``cancel``/``checkin`` presses, and an appliance
  switching on or off (a ``power`` reading that crosses 5 W from the device's previous one;
  a TV plug reporting every 15 minutes while on is not someone moving). Heartbeats,
  temperature, humidity, heart rate, smoke/gas/fall alarms, status lines and raw payloads
  are not activity.
- **excluded time**: the truth's ``away`` windows (outings, nights away, hospital) and its
  ``inactivity`` windows (lying after a fall: not ordinary life). Without a truth file
  nothing is excluded.
- **quiet spell**: the time between two consecutive activity events of a home, less any
  excluded time (a spell cut by an outing is the part before it and the part after it).
- **day** (daytime): 08:00–20:00 local; **night**: 20:00–08:00 local, named by its evening.
- Days for counts run 03:00–03:00 local (the quietest hour), and count only when the home
  was at home (not excluded) for at least 12 of their 24 hours and they lie wholly inside
  the recording.

Per home:

1. ``daytime_quiet_2h``: daytime parts of quiet spells lasting ≥ 2 h, per 12 h of daytime
   at home.
2. ``quiet_10_to_60``: of the daytime parts of quiet spells lasting ≥ 10 min, the share
   lasting ≥ 60 min.
3. ``night_silence_h``: median over whole nights at home (no excluded time 20:00–08:00) of
   the night's longest quiet spell inside 20:00–08:00, hours.
4. ``daily_cv``: coefficient of variation (sd / mean) of activity events per counted day.
5. ``low_days``: share of counted days with fewer than 60 % of the home's median count.
6. ``bedtime_sd_h``: standard deviation over nights of the bedtime, the start of the first
   quiet spell of ≥ 60 min beginning between 19:00 and 03:00 (nights without excluded time
   in that span).
7. ``evening_outings``: share of outings (``away`` windows shorter than 16 h, so not a
   hospital stay) that begin between 17:00 and 03:00 local; None without outings.

Over homes: the median of each measure (homes where it is undefined left out).
"""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from simulators.clock import parse_iso_or_epoch

TZ_OFFSET_S: Final = 8 * 3600
HOUR: Final = 3600.0
DAY: Final = 86_400.0
MIN: Final = 60.0
POWER_ON_W: Final = 5.0
ACTIVITY_KINDS: Final = frozenset(
    {"motion", "door", "bed", "chair", "water", "sos", "cancel", "checkin", "power"}
)
EXCLUDING_TRUTH: Final = frozenset({"away", "inactivity"})
OUTING_MAX_S: Final = 16 * HOUR
DAY_HOURS: Final = (8.0, 20.0)
NIGHT_HOURS: Final = (20.0, 8.0)
BEDTIME_HOURS: Final = (19.0, 3.0)
COUNT_DAY_START_H: Final = 3.0

# The real home the simulator is held against (issue 13): 28 days, contacts only.
REAL_HOME: Final[dict[str, float]] = {
    "daytime_quiet_2h": 0.74,
    "quiet_10_to_60": 0.15,
    "night_silence_h": 6.0,
    "daily_cv": 0.48,
    "low_days": 0.11,
    "bedtime_sd_h": 1.4,
    "evening_outings": 0.32,
}
LABELS: Final[dict[str, str]] = {
    "daytime_quiet_2h": "daytime quiet spells ≥ 2 h per day at home",
    "quiet_10_to_60": "share of 10-min quiet spells that reach 60 min",
    "night_silence_h": "longest night silence (h)",
    "daily_cv": "day-to-day variation of daily activity (CV)",
    "low_days": "days below 60 % of the home's median",
    "bedtime_sd_h": "spread of bedtime (sd, h)",
    "evening_outings": "outings starting after 17:00",
}

Span = tuple[float, float]


@dataclass(frozen=True, slots=True)
class HomeMeasures:
    elder_id: str
    motion: bool  # the home has a motion sensor
    daytime_quiet_2h: float | None
    quiet_10_to_60: float | None
    night_silence_h: float | None
    daily_cv: float | None
    low_days: float | None
    bedtime_sd_h: float | None
    evening_outings: float | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def local_hours(t: float) -> float:
    return ((t + TZ_OFFSET_S) % DAY) / HOUR


def local_midnight(t: float) -> float:
    return ((t + TZ_OFFSET_S) // DAY) * DAY - TZ_OFFSET_S


def subtract(spans: Iterable[Span], cuts: list[Span]) -> list[Span]:
    """``spans`` less every (sorted, possibly overlapping) span of ``cuts``."""
    out: list[Span] = []
    for lo, b in spans:
        a = lo
        for c, d in cuts:
            if d <= a or c >= b:
                continue
            if c > a:
                out.append((a, c))
            a = max(a, d)
            if a >= b:
                break
        if a < b:
            out.append((a, b))
    return out


def daily_windows(lo: float, hi: float, hours: tuple[float, float]) -> Iterator[Span]:
    """The windows ``hours`` (local; wrapping midnight when start > end) that meet [lo, hi),
    each whole, in time order."""
    first, last = hours
    length = ((last - first) % 24 or 24) * HOUR
    day = local_midnight(lo) - DAY
    while day < hi:
        a = day + first * HOUR
        if a + length > lo and a < hi:
            yield a, a + length
        day += DAY


def clip(spans: Iterable[Span], hours: tuple[float, float]) -> list[tuple[float, Span]]:
    """Parts of ``spans`` inside the daily windows ``hours``, each with its window's start."""
    out: list[tuple[float, Span]] = []
    for a, b in spans:
        for c, d in daily_windows(a, b, hours):
            lo, hi = max(a, c), min(b, d)
            if lo < hi:
                out.append((c, (lo, hi)))
    return out


def _overlap(span: Span, cuts: list[Span]) -> float:
    return sum(max(0.0, min(span[1], d) - max(span[0], c)) for c, d in cuts)


def measure_home(  # noqa: PLR0917 - one home's evidence, as the files give it
    elder_id: str,
    times: list[float],
    excluded: list[Span],
    outings: list[Span],
    span: Span,
    motion: bool,
) -> HomeMeasures:
    """The seven measures of one home from its sorted activity ``times`` in ``span``."""
    times = sorted(times)
    cuts = sorted(excluded)
    gaps = [(a, b) for a, b in itertools.pairwise(times) if b - a >= 10 * MIN]
    spells = subtract(gaps, cuts)
    day_parts = [b - a for _, (a, b) in clip(spells, DAY_HOURS)]
    day_home = sum(b - a for _, (a, b) in clip(subtract([span], cuts), DAY_HOURS))
    long_days = [x for x in day_parts if x >= 10 * MIN]
    return HomeMeasures(
        elder_id=elder_id,
        motion=motion,
        daytime_quiet_2h=(
            sum(x >= 2 * HOUR for x in day_parts) / (day_home / (12 * HOUR))
            if day_home >= 12 * HOUR
            else None
        ),
        quiet_10_to_60=(
            sum(x >= 60 * MIN for x in long_days) / len(long_days) if long_days else None
        ),
        night_silence_h=_night_silence(spells, cuts, span),
        **_daily(times, cuts, span),
        bedtime_sd_h=_bedtime_sd(spells, cuts, span),
        evening_outings=_evening(outings),
    )


def _night_silence(spells: list[Span], cuts: list[Span], span: Span) -> float | None:
    longest: dict[float, float] = {}
    for night, (a, b) in clip(spells, NIGHT_HOURS):
        longest[night] = max(longest.get(night, 0.0), b - a)
    nights = [
        longest.get(a, 0.0)
        for a, b in daily_windows(*span, NIGHT_HOURS)
        if a >= span[0] and b <= span[1] and _overlap((a, b), cuts) == 0
    ]
    return statistics.median(nights) / HOUR if nights else None


def _daily(times: list[float], cuts: list[Span], span: Span) -> dict[str, float | None]:
    counts = []
    window = (COUNT_DAY_START_H, COUNT_DAY_START_H)
    for a, b in daily_windows(*span, window):
        if a < span[0] or b > span[1] or _overlap((a, b), cuts) > 12 * HOUR:
            continue
        counts.append(bisect.bisect_left(times, b) - bisect.bisect_left(times, a))
    if len(counts) < 3 or statistics.fmean(counts) == 0:
        return {"daily_cv": None, "low_days": None}
    median = statistics.median(counts)
    return {
        "daily_cv": statistics.pstdev(counts) / statistics.fmean(counts),
        "low_days": sum(c < 0.6 * median for c in counts) / len(counts),
    }


def _bedtime_sd(spells: list[Span], cuts: list[Span], span: Span) -> float | None:
    beds: list[float] = []
    for a, b in daily_windows(*span, BEDTIME_HOURS):
        if a < span[0] or b > span[1] or _overlap((a, b), cuts) > 0:
            continue
        starts = [s for s, e in spells if a <= s < b and e - s >= 60 * MIN]
        if starts:
            beds.append((min(starts) - local_midnight(a)) / HOUR)
    return statistics.pstdev(beds) if len(beds) >= 3 else None


def _evening(outings: list[Span]) -> float | None:
    trips = [a for a, b in outings if b - a < OUTING_MAX_S]
    if not trips:
        return None
    lo, hi = BEDTIME_HOURS[1], 17.0
    return sum(not lo <= local_hours(a) < hi for a in trips) / len(trips)


# --- files ----------------------------------------------------------------------------


def activity(lines: Iterable[bytes], owner: dict[str, str]) -> dict[str, list[float]]:
    """Activity times per elder from events.jsonl lines (devices mapped by ``owner``)."""
    out: dict[str, list[float]] = {}
    powered: dict[str, bool] = {}
    for line in lines:
        if b'"event"' not in line:
            continue
        doc = orjson.loads(line)
        event, device = doc.get("event"), doc.get("device_id")
        if type(event) is not dict or device not in owner:
            continue
        kind = event.get("kind")
        if kind not in ACTIVITY_KINDS:
            continue
        if kind == "power":
            on = float(event.get("value") or 0.0) > POWER_ON_W
            if powered.get(device, not on) == on:
                continue
            powered[device] = on
        t = parse_iso_or_epoch(event.get("ts"))
        if t is not None:
            out.setdefault(owner[device], []).append(t)
    return out


def truth_windows(records: Iterable[dict[str, Any]]) -> tuple[dict[str, list[Span]], ...]:
    """(excluded spans, outings) per elder from truth.jsonl records."""
    excluded: dict[str, list[Span]] = {}
    outings: dict[str, list[Span]] = {}
    for record in records:
        kind = record.get("type")
        start, end = parse_iso_or_epoch(record.get("start")), parse_iso_or_epoch(record.get("end"))
        if kind not in EXCLUDING_TRUTH or start is None or end is None:
            continue
        excluded.setdefault(record["elder_id"], []).append((start, end))
        if kind == "away":
            outings.setdefault(record["elder_id"], []).append((start, end))
    return excluded, outings


def measure_files(homes: Path, events: Path, truth: Path | None) -> list[HomeMeasures]:
    doc = orjson.loads(homes.read_bytes())
    owner = {d["id"]: d["elder_id"] for d in doc["devices"]}
    motion = {d["elder_id"] for d in doc["devices"] if d["type"] == "motion_sensor"}
    with events.open("rb") as handle:
        times = activity(handle, owner)
    records = []
    if truth is not None:
        with truth.open("rb") as handle:
            records = [orjson.loads(line) for line in handle if line.strip()]
    excluded, outings = truth_windows(records)
    every = [t for ts in times.values() for t in ts]
    start = parse_iso_or_epoch(doc.get("simulation", {}).get("start")) or (
        min(every) if every else 0.0
    )
    span = (start, max(every) if every else start)
    return [
        measure_home(
            elder["id"],
            times.get(elder["id"], []),
            excluded.get(elder["id"], []),
            outings.get(elder["id"], []),
            span,
            elder["id"] in motion,
        )
        for elder in doc["elders"]
    ]


def medians(homes: list[HomeMeasures]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in REAL_HOME:
        values = [v for h in homes if (v := getattr(h, key)) is not None and not math.isnan(v)]
        out[key] = statistics.median(values) if values else None
    return out
