"""``activity_drop``: the daily baseline (median and MAD of the elder's own days) and the
detector's gating, on hand-built days (Asia/Shanghai time, a month's end crossed)."""

from __future__ import annotations

import numpy as np

from gateway.detectors import QuietHistory, apply, build, codes, describe, new_state, sweep
from gateway.detectors.baseline import Baseline
from gateway.detectors.baseline_daily import DailyHistory, build_daily, close_daily, observe_daily
from gateway.detectors.homes import Homes
from gateway.detectors.localtime import DAY_S
from gateway.detectors.sweep import DEFAULT_OFF, rules_off
from tests.gateway.detectors.timeline import OFFSET, at, beats_at, events, homes, profiles

# Ordinary days of an elder: activity per day varies by ±40 % (CV ≈ 0.4), an odd bad day.
ORDINARY = (260, 180, 340, 150, 300, 220, 410, 240, 120, 280, 330, 200, 260, 190, 310, 240)


def _days(
    counts: list[float], nights: list[float] | None = None, *, first: str = "2026-07-10 00:00"
) -> DailyHistory:
    """One elder at home all day every day, with these activity counts (and night counts)."""
    daily = DailyHistory(1)
    home = np.ones(1, dtype=bool)
    midnight = at(first)
    for k, total in enumerate(counts):
        night = nights[k] if nights else 4.0
        for hour in range(24):
            done = night if hour <= 5 else night + (total - night) * (hour - 5) / 18
            observe_daily(
                daily, np.array([done], dtype=np.float32), home, midnight + hour * 3600.0, midnight
            )
        midnight += DAY_S
        close_daily(daily, midnight)
    return daily


def test_ordinary_ups_and_downs_and_one_or_two_bad_days_are_no_drop() -> None:
    assert np.isnan(build_daily(_days([*ORDINARY, 90, 95])).drop_since).all()
    assert np.isnan(build_daily(_days([*ORDINARY, 70, 300, 80])).drop_since).all()


def test_three_days_well_below_the_median_are_a_drop_from_the_first_of_them() -> None:
    daily = _days([*ORDINARY, 100, 90, 80], first="2026-07-07 00:00")  # ends on 26 Jul
    found = build_daily(daily)
    assert found.drop_since[0] == at("2026-07-23 00:00")
    assert 9.5 < found.rate_usual[0] < 11.5  # events an hour (the median day / 23 h at home)
    assert found.rate_recent[0] < 0.5 * found.rate_usual[0]


def test_nights_far_busier_than_usual_are_restless() -> None:
    quiet = [4.0, 6.0, 3.0, 5.0, 4.0, 7.0, 2.0, 5.0, 4.0, 6.0, 3.0, 5.0, 4.0, 6.0, 5.0, 4.0]
    found = build_daily(_days([*ORDINARY, 260, 250, 270], [*quiet, 25.0, 30.0, 22.0]))
    assert not np.isnan(found.night_since[0])
    assert np.isnan(found.drop_since[0])
    assert np.isnan(build_daily(_days(list(ORDINARY[:13]))).drop_since).all()  # cold start


def test_a_day_mostly_away_is_no_measure() -> None:
    daily = DailyHistory(1)
    midnight = at("2026-07-10 00:00")
    for hour in range(24):
        home = np.array([hour < 8])  # out from 08:00 to midnight
        observe_daily(
            daily,
            np.array([10.0 * hour], dtype=np.float32),
            home,
            midnight + hour * 3600.0,
            midnight,
        )
    close_daily(daily, midnight + DAY_S)
    assert np.isnan(daily.rates[-1]).all()


def _dropped(h: Homes) -> Baseline:
    history = QuietHistory(OFFSET, h.n)
    history.daily = _days([*ORDINARY, 100, 90, 80], first="2026-07-13 00:00")  # to 1 Aug
    history.daily.rates = [
        np.concatenate([r, [np.nan]]).astype(np.float32) for r in history.daily.rates
    ]
    history.daily.nights = [
        np.concatenate([r, [np.nan]]).astype(np.float32) for r in history.daily.nights
    ]
    history.daily.n = h.n
    return build(history, h, profiles())


def test_the_finding_is_raised_at_home_never_while_away_and_says_it_in_words() -> None:
    h = homes()
    baseline = _dropped(h)
    state = new_state(h)
    apply(h, state, beats_at(h, at("2026-08-01 09:00")))
    apply(h, state, events(h, [("2026-08-01 09:00", "pir-bed", "motion", 1)]))
    now = at("2026-08-01 09:05")
    found = sweep(h, state, baseline, now, OFFSET)
    mine = np.flatnonzero(found.kind == codes.ACTIVITY_DROP)
    assert found.slot[mine].tolist() == [0]
    row = int(mine[0])
    zh, en = describe(
        codes.ACTIVITY_DROP,
        int(found.reason[row]),
        float(found.since[row]),
        float(found.usual_s[row]),
        now,
        OFFSET,
        limit=float(found.limit_s[row]),
    )
    assert en.startswith("activity at home at 38 % of usual for the last 3 days (3.8 events")
    assert "近 3 天在家活動只有平時的 38%" in zh
    off = sweep(h, state, baseline, now, OFFSET, off=rules_off(DEFAULT_OFF))
    assert not (off.kind == codes.ACTIVITY_DROP).any()  # the default deployment's
    assert "activity_drop" in DEFAULT_OFF
    apply(h, state, events(h, [("2026-08-01 09:10", "door", "door", 1)]))  # goes out
    found = sweep(h, state, baseline, at("2026-08-01 09:40"), OFFSET)
    assert not (found.kind == codes.ACTIVITY_DROP).any()
