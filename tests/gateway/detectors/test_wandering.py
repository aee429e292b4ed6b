from __future__ import annotations

import numpy as np

from gateway.detectors import QuietHistory, apply, build, codes, new_state, sweep
from gateway.detectors.baseline import Baseline
from gateway.detectors.homes import Homes
from gateway.detectors.profiles import Profiles
from gateway.detectors.state import HouseholdState, excuse
from gateway.detectors.sweep import cleared
from tests.gateway.detectors.timeline import (
    OFFSET,
    at,
    beats_through,
    events,
    heartbeats,
    homes,
    profiles,
)


def _baseline(h: Homes, *, dementia: bool) -> Baseline:
    p = profiles()
    p = Profiles(p.frail, p.alone, p.override_s, p.watch, np.array([dementia, False]))
    return build(QuietHistory(OFFSET, h.n), h, p)


def _wandering(h: Homes, state: HouseholdState, baseline: Baseline, local: str) -> bool:
    found = sweep(h, state, baseline, at(local), OFFSET)
    return bool(((found.slot == 0) & (found.kind == codes.NIGHT_WANDERING)).any())


def _leaves(h: Homes, state: HouseholdState, local_door: str) -> None:
    apply(h, state, heartbeats(h, "2026-05-31 23:50"))
    apply(h, state, events(h, [("2026-05-31 23:55", "mat", "bed", 1)]))
    apply(h, state, events(h, [("2026-06-01 00:28", "mat", "bed", 0)]))
    apply(h, state, events(h, [(local_door, "door", "door", 1)]))


def test_out_at_night_past_midnight_at_a_months_end_is_wandering_sooner_with_dementia() -> None:
    for dementia, minutes_out in ((True, 6), (False, 16)):
        h = homes()
        baseline = _baseline(h, dementia=dementia)
        state = new_state(h)
        _leaves(h, state, "2026-06-01 00:30")
        assert not _wandering(h, state, baseline, "2026-06-01 00:33")
        assert _wandering(h, state, baseline, f"2026-06-01 00:{30 + minutes_out}")


def test_coming_back_clears_it() -> None:
    h = homes()
    baseline = _baseline(h, dementia=True)
    state = new_state(h)
    _leaves(h, state, "2026-06-01 00:30")
    opened = np.full((h.n, len(codes.ALERT_TYPES)), np.nan)
    opened[0, codes.NIGHT_WANDERING] = at("2026-06-01 00:36")
    apply(h, state, events(h, [("2026-06-01 01:10", "door", "door", 1)]))
    assert not cleared(h, state, opened)[0, codes.NIGHT_WANDERING]  # the door alone: not yet
    apply(h, state, events(h, [("2026-06-01 01:12", "pir-bed", "motion", 1)]))
    assert cleared(h, state, opened)[0, codes.NIGHT_WANDERING]
    assert not _wandering(h, state, baseline, "2026-06-01 01:20")


def test_leaving_after_someone_came_in_is_a_visit_and_evenings_are_not_night() -> None:
    h = homes()
    baseline = _baseline(h, dementia=True)
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-06-01 00:00"))
    apply(h, state, events(h, [
        ("2026-06-01 00:05", "door", "door", 1),  # helpers come in
        ("2026-06-01 00:06", "pir-bed", "motion", 1),
        ("2026-06-01 00:40", "door", "door", 1),  # and take the elder to hospital
    ]))  # fmt: skip
    assert not _wandering(h, state, baseline, "2026-06-01 01:00")
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-06-01 20:00"))
    apply(h, state, events(h, [
        ("2026-06-01 20:01", "pir-bed", "motion", 1),
        ("2026-06-01 20:10", "door", "door", 1),
    ]))  # fmt: skip
    assert not _wandering(h, state, baseline, "2026-06-01 21:30")


def test_an_outing_an_absence_covered_is_not_wandering_once_it_ends_but_the_next_one_is() -> None:
    # Taken to hospital at 00:30 (nobody came in first: it looks like wandering); the on-call
    # declares the stay at 00:40, until 10:00. It ends before she is home: not "out at night
    # and not back for 10 h". Home in the afternoon, out again the next night: wandering.
    h = homes()
    baseline = _baseline(h, dementia=True)
    state = new_state(h)
    _leaves(h, state, "2026-06-01 00:30")
    assert _wandering(h, state, baseline, "2026-06-01 00:37")
    stay = np.array([True, False])
    opened = np.full((h.n, len(codes.ALERT_TYPES)), np.nan)
    opened[0, codes.NIGHT_WANDERING] = at("2026-06-01 00:37")
    excuse(state, stay, at("2026-06-01 00:40"))
    assert cleared(h, state, opened, baseline, stay)[0, codes.NIGHT_WANDERING]
    for beats in beats_through(h, "2026-06-01 01:00", "2026-06-01 10:30"):
        apply(h, state, beats)
    excuse(state, stay, at("2026-06-01 09:59") + 50.0)  # the last sweep under the stay
    assert not _wandering(h, state, baseline, "2026-06-01 10:30")
    apply(h, state, events(h, [("2026-06-01 15:00", "door", "door", 1)]))
    apply(h, state, events(h, [("2026-06-01 15:01", "pir-bed", "motion", 1)]))
    apply(h, state, heartbeats(h, "2026-06-02 00:20"))
    apply(h, state, events(h, [("2026-06-02 00:30", "door", "door", 1)]))
    assert _wandering(h, state, baseline, "2026-06-02 00:37")


def _happen(h: Homes, state: HouseholdState, *rows: tuple[str, str, str, float]) -> None:
    """Each row as the gateway would store it, one after another."""
    for row in rows:
        apply(h, state, events(h, [row]))


def test_the_door_after_a_call_for_help_is_help_coming_in_not_the_elder_going_out() -> None:
    # A home where nobody is heard inside but the elder: she presses SOS at 00:29, the
    # neighbour comes in at 00:45 and is not heard inside. Without the call, or with the
    # call cancelled (pressed by mistake), the same door and silence are wandering.
    for call, wandering in (("sos", False), ("fall", False), (None, True), ("cancel", True)):
        h = homes()
        baseline = _baseline(h, dementia=False)
        state = new_state(h)
        apply(h, state, heartbeats(h, "2026-05-31 23:50"))
        _happen(
            h, state, ("2026-05-31 23:55", "mat", "bed", 1), ("2026-06-01 00:28", "mat", "bed", 0)
        )
        if call is not None:
            _happen(h, state, ("2026-06-01 00:29", "pat", "sos" if call == "cancel" else call, 1))
        if call == "cancel":
            _happen(h, state, ("2026-06-01 00:29:30", "pat", "cancel", 1))
        _happen(h, state, ("2026-06-01 00:45", "door", "door", 1))
        assert _wandering(h, state, baseline, "2026-06-01 01:05") is wandering, call
        # Helpers taking her to hospital at 01:30: the outing is still explained at 05:00.
        _happen(h, state, ("2026-06-01 01:30", "door", "door", 1))
        for beats in beats_through(h, "2026-06-01 02:00", "2026-06-01 04:00"):
            apply(h, state, beats)
        assert _wandering(h, state, baseline, "2026-06-01 04:59") is wandering, call


def test_once_help_has_come_and_gone_a_later_door_at_night_is_hers_again() -> None:
    # SOS at 20:43, the helper in at 21:04 and out at 21:51; at 00:44 she leaves alone.
    h = homes()
    baseline = _baseline(h, dementia=False)
    state = new_state(h)
    apply(h, state, heartbeats(h, "2026-07-29 20:30"))
    _happen(
        h,
        state,
        ("2026-07-29 20:40", "pir-bed", "motion", 1),
        ("2026-07-29 20:43", "pat", "sos", 1),
        ("2026-07-29 21:04", "door", "door", 1),
        ("2026-07-29 21:51", "door", "door", 1),
    )
    for beats in beats_through(h, "2026-07-29 22:00", "2026-07-30 00:00"):
        apply(h, state, beats)
    _happen(h, state, ("2026-07-30 00:19", "pir-bed", "motion", 1))
    _happen(h, state, ("2026-07-30 00:44", "door", "door", 1))
    assert _wandering(h, state, baseline, "2026-07-30 01:00")
