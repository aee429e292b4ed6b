"""``inactivity``, not back: out later in the evening than the history has ever seen."""

from __future__ import annotations

import math

import numpy as np

from gateway.detectors import QuietHistory, apply, build, codes, findings, new_state, observe, sweep
from gateway.detectors.back import BACK_FLOOR_S, BACK_MARGIN_S, COLD_BACK_S
from gateway.detectors.baseline import Baseline
from gateway.detectors.findings import describe
from gateway.detectors.hearing import sensed
from gateway.detectors.homes import Homes
from gateway.detectors.profiles import Profiles
from gateway.detectors.state import HouseholdState
from gateway.detectors.sweep import DEFAULT_OFF, NOT_BACK, cleared, rules_off
from tests.gateway.detectors.timeline import (
    OFFSET,
    at,
    beats_at,
    events,
    heartbeats,
    homes,
    motions,
    profiles,
)

DAY = 86_400.0
HOUR = 3600.0


def _not_back(
    h: Homes,
    state: HouseholdState,
    baseline: Baseline,
    now: float,
    suppressed: np.ndarray | None = None,
) -> findings.Findings:
    found = sweep(h, state, baseline, now, OFFSET, suppressed)
    mine = (found.slot == 0) & (found.kind == codes.INACTIVITY)
    pick = mine.nonzero()[0]
    assert (found.reason[pick] == findings.NOT_BACK).all()
    return findings.Findings(
        found.slot[pick],
        found.kind[pick],
        found.reason[pick],
        found.since[pick],
        found.usual_s[pick],
        found.limit_s[pick],
    )


def _sentence(found: findings.Findings, local: str) -> tuple[str, str]:
    """The first finding's sentence (Chinese, English) as the alert says it at ``local``."""
    return describe(
        codes.INACTIVITY,
        findings.NOT_BACK,
        float(found.since[0]),
        float(found.usual_s[0]),
        at(local),
        OFFSET,
        limit=float(found.limit_s[0]),
    )


def _frail() -> Profiles:
    p = profiles()
    return Profiles(np.array([True, False]), p.alone, p.override_s, p.watch, p.dementia)


def _cold() -> tuple[Homes, Baseline]:
    h = homes()
    return h, build(QuietHistory(OFFSET, h.n), h, _frail())


def _goes_out(h: Homes, state: HouseholdState, local_door: str) -> None:
    """Up in the bathroom an hour before, then out through the entrance door."""
    door = at(local_door)
    apply(h, state, beats_at(h, door - 3 * HOUR))
    apply(h, state, motions(h, "pir-bath", np.arange(door - HOUR, door - 60, 600.0)))
    apply(h, state, motions(h, "door", np.array([door])))


def _beats(h: Homes, state: HouseholdState, first: float, last: float) -> None:
    for t in np.arange(first, last + 1, HOUR):
        apply(h, state, beats_at(h, t))


def test_out_past_the_cold_start_latest_return_is_not_back_and_coming_home_clears_it() -> None:
    h, baseline = _cold()
    state = new_state(h)
    _goes_out(h, state, "2026-01-31 15:00")
    _beats(h, state, at("2026-01-31 16:00"), at("2026-01-31 23:00"))
    assert not len(_not_back(h, state, baseline, at("2026-01-31 22:55")))
    found = _not_back(h, state, baseline, at("2026-01-31 23:05"))
    assert len(found) == 1
    assert found.since[0] == at("2026-01-31 15:00")
    assert found.limit_s[0] == COLD_BACK_S
    zh, en = _sentence(found, "2026-01-31 23:05")
    assert en == "went out at 15:00 and not back by 23:05; seldom out, expected home by 23:00"
    assert zh.startswith("15:00 出門，至 23:05 仍未返家")
    # Past midnight at a month's end the evening goes on: still not back.
    _beats(h, state, at("2026-02-01 00:00"), at("2026-02-01 02:00"))
    assert len(_not_back(h, state, baseline, at("2026-02-01 01:30"))) == 1
    opened = np.full((h.n, len(codes.ALERT_TYPES)), np.nan)
    opened[0, codes.INACTIVITY] = at("2026-01-31 23:05")
    assert not cleared(h, state, opened)[0, codes.INACTIVITY]  # still out: stays open
    apply(h, state, events(h, [("2026-02-01 01:40", "door", "door", 1)]))
    assert not cleared(h, state, opened)[0, codes.INACTIVITY]  # the door alone: not yet
    # Straight to bed: home is the end of it (moving in the bedroom is not "up", but the
    # elder is back).
    apply(h, state, events(h, [("2026-02-01 01:43", "pir-bed", "motion", 1)]))
    assert cleared(h, state, opened)[0, codes.INACTIVITY]
    assert not len(_not_back(h, state, baseline, at("2026-02-01 01:50")))


def test_not_under_a_declared_absence_nor_with_a_visitor_nor_when_left_at_night() -> None:
    h, baseline = _cold()
    state = new_state(h)
    _goes_out(h, state, "2026-03-10 15:00")
    _beats(h, state, at("2026-03-10 16:00"), at("2026-03-11 00:00"))
    absent = np.array([True, False])
    assert not len(_not_back(h, state, baseline, at("2026-03-10 23:10"), absent))
    assert len(_not_back(h, state, baseline, at("2026-03-10 23:10")))
    # Helpers came in at 14:40 and left with the elder at 15:00: to hospital, not alone.
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-03-10 14:00"))
    apply(h, state, events(h, [
        ("2026-03-10 14:00", "pir-bath", "motion", 1),
        ("2026-03-10 14:40", "door", "door", 1),
        ("2026-03-10 14:42", "pir-bed", "motion", 1),
        ("2026-03-10 15:00", "door", "door", 1),
    ]))  # fmt: skip
    _beats(h, state, at("2026-03-10 16:00"), at("2026-03-11 00:00"))
    assert not len(_not_back(h, state, baseline, at("2026-03-10 23:10")))
    # Out at 23:30: night wandering's, not "not back" (and at 23:50 not out an hour yet).
    state = new_state(h)
    _goes_out(h, state, "2026-03-10 23:30")
    _beats(h, state, at("2026-03-11 00:00"), at("2026-03-11 02:00"))
    found = sweep(h, state, baseline, at("2026-03-11 01:00"), OFFSET)
    assert list(found.kind[found.slot == 0]) == [codes.NIGHT_WANDERING]


def _history(
    back: str,
    *,
    out_on: tuple[int, ...] = (3, 9),
    overnight_on: int = -1,
    days: int = 15,
    carer: bool = False,
) -> tuple[Homes, Baseline]:
    """``days`` days from 2026-03-01 of an elder up at 07:00 and at home, except on the days
    ``out_on``: out through the door at 14:00 and back at ``back`` (HH:MM; on day
    ``overnight_on``, back the next morning at 09:00); home until 23:00 at least; observed
    every 5 min as the gateway does. ``carer``: someone comes in at 09:51 (the life until
    10:40 is theirs too) and leaves at 11:00 every day, and the elder does not move until
    12:00."""
    h = homes()
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    day0 = at("2026-03-01 00:00")
    hh, mm = (int(x) for x in back.split(":"))
    for d in range(days):
        base = day0 + d * DAY
        out, home = base + 14 * HOUR, base + hh * HOUR + mm * 60
        if d == overnight_on:
            home = base + DAY + 9 * HOUR
        elif overnight_on >= 0 and d - 1 == overnight_on:
            out = home = base + 9 * HOUR  # today's outing is the night's return
        elif d not in out_on:
            out = home = math.nan  # a day at home
        if math.isnan(out):
            life, doors = np.arange(base + 7 * HOUR, base + 23 * HOUR + 1, 1200.0), np.empty(0)
        else:
            life = np.concatenate([
                np.arange(base + 7 * HOUR, out - 1, 1200.0),
                np.arange(home + 120, max(home + 1800, base + 23 * HOUR + 1), 1200.0),
            ])  # fmt: skip
            doors = np.array([out, home]) if out != home else np.array([home])
        if carer:
            life = life[(life <= base + 10.9 * HOUR) | (life >= base + 12 * HOUR)]
            doors = np.sort(np.concatenate([doors, [base + 9.85 * HOUR, base + 11 * HOUR]]))
        for now in np.arange(base, base + DAY, 300.0):
            for device, t in (("pir-bath", life), ("door", doors)):
                part = t[(t > now - 300) & (t <= now)]
                if len(part):
                    apply(h, state, motions(h, device, part))
            apply(h, state, beats_at(h, now))
            observe(history, h, state, now, sensed(h, state, now, 2))
    return h, build(history, h, profiles())  # not frail: learned, not cold


def test_the_latest_return_is_learned_and_never_earlier_than_the_floor() -> None:
    h, early = _history("19:00")
    # Seen out until 19:00 (the door back is the latest evidence until life follows it):
    # the floor, 23:00, is later.
    assert early.back_usual_s[0] == 19 * HOUR
    assert early.back_limit_s[0] == BACK_FLOOR_S
    h, late = _history("23:30")
    assert late.back_usual_s[0] == 23 * HOUR + 30 * 60
    assert late.back_limit_s[0] == late.back_usual_s[0] + BACK_MARGIN_S
    state = new_state(h)
    _goes_out(h, state, "2026-03-20 14:00")
    _beats(h, state, at("2026-03-20 15:00"), at("2026-03-21 01:00"))
    assert not len(_not_back(h, state, late, at("2026-03-21 00:55")))
    found = _not_back(h, state, late, at("2026-03-21 01:05"))
    assert len(found) == 1
    _, en = _sentence(found, "2026-03-21 01:05")
    assert en == "went out at 14:00 and not back by 01:05; never out later than 23:30 before"


def test_an_elder_seen_out_overnight_is_never_not_back_at_night() -> None:
    h, baseline = _history("18:00", out_on=(), overnight_on=5)
    assert baseline.back_limit_s[0] > DAY  # past the day's end (04:00 next day)
    state = new_state(h)
    _goes_out(h, state, "2026-03-20 14:00")
    _beats(h, state, at("2026-03-20 15:00"), at("2026-03-21 03:00"))
    for local in ("2026-03-20 23:00", "2026-03-21 02:00", "2026-03-21 03:55"):
        assert not len(_not_back(h, state, baseline, at(local)))


def test_an_elder_out_most_days_is_never_not_back_and_at_cold_start_only_the_frail() -> None:
    h, baseline = _history("18:00", out_on=tuple(range(15)))
    assert baseline.back_limit_s[0] == np.inf
    state = new_state(h)
    _goes_out(h, state, "2026-03-20 14:00")
    _beats(h, state, at("2026-03-20 15:00"), at("2026-03-21 03:00"))
    assert not len(_not_back(h, state, baseline, at("2026-03-21 02:00")))
    cold = build(QuietHistory(OFFSET, h.n), h, profiles())
    assert cold.back_limit_s[0] == np.inf
    assert build(QuietHistory(OFFSET, h.n), h, _frail()).back_limit_s[0] == COLD_BACK_S


def test_a_carer_leaving_a_still_elder_is_not_an_outing_of_the_elders() -> None:
    _, baseline = _history("18:00", out_on=(), carer=True)
    assert np.isnan(baseline.back_usual_s[0])  # never out on their own
    assert baseline.back_limit_s[0] == BACK_FLOOR_S


def test_off_by_default_and_with_inactivity() -> None:
    h, baseline = _cold()
    state = new_state(h)
    _goes_out(h, state, "2026-03-10 15:00")
    _beats(h, state, at("2026-03-10 16:00"), at("2026-03-11 00:00"))
    now = at("2026-03-10 23:10")
    assert len(_not_back(h, state, baseline, now))
    for off in (DEFAULT_OFF, ("inactivity",), (NOT_BACK,)):
        found = sweep(h, state, baseline, now, OFFSET, off=rules_off(off))
        assert not (found.kind == codes.INACTIVITY).any(), off
    assert NOT_BACK in DEFAULT_OFF
