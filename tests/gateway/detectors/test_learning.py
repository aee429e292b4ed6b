"""The learning step the live sweep, ``tanfang evaluate`` and the replay share: a day closes
at its first step after midnight, observations every ``OBSERVE_S`` in between, and only of
homes whose devices are heard (unless the state holds no heartbeats)."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.detectors import QuietHistory, apply, new_state
from gateway.detectors.learning import Learning
from gateway.detectors.quiet_code import decode
from tests.gateway.detectors.timeline import OFFSET, at, events, heartbeats, homes


def test_a_day_closes_at_the_first_step_after_midnight_not_at_the_next_observation() -> None:
    h = homes()
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    learning = Learning()
    apply(h, state, heartbeats(h, "2026-01-31 23:00"))
    apply(h, state, events(h, [("2026-01-31 23:10", "pir-bed", "motion", 1)]))
    assert not learning.step(history, h, state, at("2026-01-31 23:58"))
    seen = history.today.copy()
    assert seen[0].any()  # the quiet since 23:10, learned
    state.day_count[0] = 7.0
    # Not due (OBSERVE_S after 23:58), the same day: nothing learned.
    assert not learning.step(history, h, state, at("2026-01-31 23:59"))
    np.testing.assert_array_equal(history.today, seen)
    # The first step of February, 10 s after midnight: the month's last day is closed,
    # today's count is yesterday's, and the baselines are to be built again — once.
    assert learning.step(history, h, state, at("2026-02-01 00:00") + 10.0)
    assert len(history.days) == 1
    assert (state.yesterday_count[0], state.day_count[0]) == (7.0, 0.0)
    assert not learning.step(history, h, state, at("2026-02-01 00:00") + 20.0)


def test_only_homes_whose_devices_are_heard_are_learned_unless_there_are_no_heartbeats() -> None:
    h = homes()
    state = new_state(h)
    apply(h, state, events(h, [("2026-01-31 09:10", "pir-bed", "motion", 1)]))
    live = QuietHistory(OFFSET, h.n)
    Learning().step(live, h, state, at("2026-01-31 10:00"))
    assert not live.today[0].any()  # the other sensors never heard: nothing learned
    replayed = QuietHistory(OFFSET, h.n)
    Learning().step(replayed, h, state, at("2026-01-31 10:00"), heartbeats=False)
    assert np.nanmax(decode(replayed.today[0])) == pytest.approx(50 * 60, rel=0.016)
