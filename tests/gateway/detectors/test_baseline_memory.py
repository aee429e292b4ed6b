"""The learned history in the form the detection process keeps it: each day's quiets in a
byte each (log-scaled minutes), the limits rebuilt a group of homes at a time."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.detectors import QuietHistory, apply, build, new_state, observe
from gateway.detectors import baseline as baseline_module
from gateway.detectors.baseline import IN_BEDROOM, MIN_DAYS_PER_BIN, PLACES, WIDEN_BINS
from gateway.detectors.localtime import BINS
from gateway.detectors.quiet_code import MAX_MIN, decode, encode
from tests.gateway.detectors.timeline import OFFSET, at, events, heartbeats, homes, profiles

DAYS = 20


def _history(quiet_s: np.ndarray) -> QuietHistory:
    """``DAYS`` closed days whose every cell of today held ``quiet_s[day]``, closed by
    ``observe`` itself at each local midnight."""
    h = homes()
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    everyone = np.ones(h.n, dtype=bool)
    for day in range(DAYS + 1):
        now = at("2026-03-01 00:01") + day * 86_400.0
        observe(history, h, state, now, everyone)
        history.today[...] = encode(quiet_s[day % DAYS])
    return history


def test_a_learned_quiet_keeps_its_length_to_two_percent_in_a_byte() -> None:
    rng = np.random.default_rng(3)
    quiet_s = rng.uniform(60.0, 36_000.0, (DAYS, 2, PLACES, BINS)).astype(np.float32)
    quiet_s[:, 0, 0, :3] = np.nan  # no quiet seen there
    quiet_s[:, 0, 0, 3] = 0.0
    history = _history(quiet_s)
    assert len(history.days) == DAYS
    assert history.days[0].quiet.dtype == np.uint8
    stored = np.stack([decode(d.quiet) for d in history.days])
    assert np.isnan(stored[:, 0, 0, :3]).all()
    assert (stored[:, 0, 0, 3] == 0.0).all()
    assert np.allclose(stored, quiet_s, rtol=0.016, atol=1.0, equal_nan=True)
    assert not np.allclose(stored, quiet_s, rtol=0.001, equal_nan=True)  # it is a byte


def test_a_quiet_longer_than_two_days_is_kept_as_two_days() -> None:
    assert decode(encode(np.array([4 * 86_400.0], dtype=np.float32)))[0] == pytest.approx(
        MAX_MIN * 60.0, rel=1e-4
    )


def test_limits_rebuilt_a_few_homes_at_a_time_are_those_of_all_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(4)
    quiet_s = rng.uniform(60.0, 36_000.0, (DAYS, 2, PLACES, BINS)).astype(np.float32)
    quiet_s[:, 1, IN_BEDROOM, :10] = np.nan  # a place and hours never seen: pooled
    history = _history(quiet_s)
    whole = build(history, homes(), profiles())
    monkeypatch.setattr(baseline_module, "BUILD_CHUNK", 1)
    apart = build(history, homes(), profiles())
    assert whole.usual_code.any()
    np.testing.assert_array_equal(whole.usual_code, apart.usual_code)
    np.testing.assert_array_equal(whole.limit_s, apart.limit_s)


def _usual(values: list[float]) -> float:
    """The second-longest of the days that saw one (the only one of one), NaN under
    ``MIN_DAYS_PER_BIN`` of them."""
    seen = sorted(v for v in values if not np.isnan(v))
    return seen[-2] if len(seen) >= MIN_DAYS_PER_BIN else np.nan


def test_the_usual_quiet_worked_out_on_the_codes_is_that_of_the_seconds() -> None:
    """The build ranks the bytes themselves; here, the rule worked out by hand in seconds:
    each day's longest quiet begun within ``WIDEN_BINS`` hours, the second-longest day, a
    place with under ``MIN_DAYS_PER_BIN`` such days taking all places', none under that."""
    rng = np.random.default_rng(5)
    quiet_s = rng.uniform(60.0, 36_000.0, (DAYS, 2, PLACES, BINS)).astype(np.float32)
    quiet_s[rng.random(quiet_s.shape) < 0.6] = np.nan  # most hours and places see none
    quiet_s[: DAYS - 2, 1, IN_BEDROOM] = np.nan  # two days of it only: pooled
    quiet_s[: DAYS - 2, 0, :, :10] = np.nan  # two days of anything: none learned
    history = _history(quiet_s)
    usual = build(history, homes(), profiles()).usual_s
    days = np.stack([decode(d.quiet) for d in history.days])
    for slot, hour in np.ndindex(2, BINS):
        near = [(hour + k) % BINS for k in range(-WIDEN_BINS, WIDEN_BINS + 1)]
        wide = np.fmax.reduce(days[:, slot][:, :, near], axis=2)  # [day, place]
        pooled = _usual([float(v) for v in np.fmax.reduce(wide, axis=1)])
        for place in range(PLACES):
            own = [float(v) for v in wide[:, place]]
            enough = sum(not np.isnan(v) for v in own) >= MIN_DAYS_PER_BIN
            np.testing.assert_equal(
                float(usual[slot, place, hour]), _usual(own) if enough else pooled
            )
    assert np.isnan(usual[0, :, 4]).all()
    assert not np.isnan(usual[1]).any()


def test_the_day_keeps_the_longest_quiet_begun_in_each_hour_as_its_code() -> None:
    """``observe`` on the same cell several times: a longer quiet raises it, a shorter one
    after it does not lower it; a quiet of no length is seen (code 1), none is 0."""
    h = homes()
    state = new_state(h)
    history = QuietHistory(OFFSET, h.n)
    everyone = np.ones(h.n, dtype=bool)
    apply(h, state, heartbeats(h, "2026-03-02 09:00"))
    apply(h, state, events(h, [("2026-03-02 09:10", "pir-bed", "motion", 1)]))
    observe(history, h, state, at("2026-03-02 09:10"), everyone)  # just moved: no length
    cell = (0, IN_BEDROOM, 9)
    assert history.today[cell] == 1
    assert not history.today[1].any()  # KP-2 has no device: nothing seen
    observe(history, h, state, at("2026-03-02 09:40"), everyone)
    assert decode(history.today[cell]) == pytest.approx(30 * 60, rel=0.016)
    apply(h, state, events(h, [("2026-03-02 09:45", "pir-bed", "motion", 1)]))
    observe(history, h, state, at("2026-03-02 09:50"), everyone)  # 5 min, same cell
    assert decode(history.today[cell]) == pytest.approx(30 * 60, rel=0.016)
    observe(history, h, state, at("2026-03-02 11:00"), everyone)  # 1 h 15 min, begun at 09:45
    assert decode(history.today[cell]) == pytest.approx(75 * 60, rel=0.016)
    assert history.today[0, IN_BEDROOM, 10] == 0  # by when it began, not when it was seen
