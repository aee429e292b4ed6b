"""The realism measures on small hand-built homes whose answers are known."""

from __future__ import annotations

import math
from datetime import datetime

import orjson
import pytest

from simulators.clock import TZ
from simulators.measures import HOUR, MIN, activity, measure_home, subtract, truth_windows

DAY0 = datetime(2026, 7, 6, tzinfo=TZ).timestamp()  # local midnight
BEDTIMES = (21.0, 23.0, 21.0, 23.0, 21.0)
OUT_EVENING = (DAY0 + 1 * 24 * HOUR + 18 * HOUR, DAY0 + 1 * 24 * HOUR + 19 * HOUR)
OUT_AFTERNOON = (DAY0 + 3 * 24 * HOUR + 16 * HOUR, DAY0 + 3 * 24 * HOUR + 17.5 * HOUR)


def _day(day: int) -> list[float]:
    """07:00 to bedtime every 5 min (9.5 min on the quiet day 2), still 10:00–10:20 and
    13:00–15:30, nothing while out."""
    step = 9.5 if day == 2 else 5.0
    base = DAY0 + day * 24 * HOUR
    times, t = [], 7 * HOUR
    while t <= BEDTIMES[day] * HOUR:
        inside = 10 * HOUR < t < 10 * HOUR + 20 * MIN or 13 * HOUR < t < 15.5 * HOUR
        out = any(a < base + t < b for a, b in (OUT_EVENING, OUT_AFTERNOON))
        if not inside and not out:
            times.append(base + t)
        t += step * MIN
    return times


def test_a_known_week_gives_the_known_measures() -> None:
    times = [t for day in range(5) for t in _day(day)]
    outings = [OUT_EVENING, OUT_AFTERNOON]
    home = measure_home("KP-1", times, outings, outings, (DAY0, DAY0 + 5 * 24 * HOUR), False)
    # One daytime spell ≥ 2 h a day, per 12 h of daytime at home (2.5 h out in daytime).
    assert home.daytime_quiet_2h == pytest.approx(5 / ((60 - 2.5) / 12))
    assert home.quiet_10_to_60 == pytest.approx(0.5)  # 20-min and 150-min spells each day
    assert home.night_silence_h == pytest.approx(9.0)  # median of 10, 8, 10, 8 h: bed → 07:00
    assert home.low_days == pytest.approx(0.25)  # day 2 of days 0–3 has about half the events
    assert home.daily_cv is not None
    assert 0.15 < home.daily_cv < 0.35
    assert home.bedtime_sd_h == pytest.approx(1.0, abs=0.1)  # 21:00 / 23:00 alternating
    assert home.evening_outings == pytest.approx(0.5)


def test_an_outing_cuts_a_quiet_spell_into_the_parts_at_home() -> None:
    assert subtract([(0.0, 100.0)], [(20.0, 30.0), (25.0, 40.0), (90.0, 120.0)]) == [
        (0.0, 20.0),
        (40.0, 90.0),
    ]


def test_activity_counts_people_not_readings_or_heartbeats() -> None:
    rows = [
        ("pir-1", "motion", 1, 0),
        ("plug-1", "power", 90.0, 60),  # TV on: activity
        ("plug-1", "power", 92.0, 960),  # still on, a periodic reading: not activity
        ("env-1", "temperature", 29.5, 1000),
        ("pir-1", "heartbeat", None, 1100),
        ("plug-1", "power", 0.5, 1200),  # TV off: activity
        ("door-9", "door", 1, 1300),  # another home's door
    ]
    lines = [
        orjson.dumps({"device_id": d, "event": {"ts": DAY0 + s, "kind": k, "value": v}})
        for d, k, v, s in rows
    ] + [b'{"device_id": "pir-1", "status": "online"}', b'{"device_id": "pir-1", "raw": "x"}']
    owner = {"pir-1": "KP-1", "plug-1": "KP-1", "env-1": "KP-1", "door-9": "KP-9"}
    got = activity(lines, owner)
    assert [t - DAY0 for t in got["KP-1"]] == [0, 60, 1200]
    assert [t - DAY0 for t in got["KP-9"]] == [1300]


def test_truth_excludes_away_and_inactivity_and_only_away_is_an_outing() -> None:
    records = [
        {
            "elder_id": "KP-1",
            "type": "away",
            "start": "2026-07-06T18:00:00+08:00",
            "end": "2026-07-06T19:00:00+08:00",
        },
        {
            "elder_id": "KP-1",
            "type": "inactivity",
            "start": "2026-07-07T10:00:00+08:00",
            "end": "2026-07-07T14:00:00+08:00",
        },
        {"elder_id": "KP-1", "type": "sos", "start": "2026-07-07T10:00:00+08:00"},
    ]
    excluded, outings = truth_windows(records)
    assert len(excluded["KP-1"]) == 2
    assert len(outings["KP-1"]) == 1
    assert math.isclose(outings["KP-1"][0][1] - outings["KP-1"][0][0], HOUR)
