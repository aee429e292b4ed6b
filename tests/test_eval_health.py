"""``tanfang evaluate``'s device health: the gateway's rule (``gateway.device_health``) on
the file's facts, one alert per device and type until its condition clears."""

from __future__ import annotations

import math

import numpy as np

from gateway.detectors import DeviceInfo, EventBatch, apply, build_homes, new_state
from gateway.detectors.codes import KIND
from gateway.detectors.state import HouseholdState
from tanfang.eval_health import HEALTH_EVERY_S, HealthBook
from tanfang.eval_score import Alert

HOUR = 3600.0
T0 = 1_782_000_000.0  # 2026-06-21


def _fleet() -> tuple[HealthBook, HouseholdState]:
    homes = build_homes(
        ["KP-1"],
        [
            DeviceInfo("pir-1", "KP-1", "motion_sensor", "living_room", HOUR),
            DeviceInfo("door-1", "KP-1", "door_sensor", "entrance", HOUR),
            DeviceInfo("spare-1", None, "motion_sensor", None, HOUR),
        ],
    )
    return HealthBook(homes, since=T0), new_state(homes)


def _batch(book: HealthBook, rows: list[tuple[str, int, float, float]]) -> EventBatch:
    """(device id, kind code, receive time, battery %)."""
    names = [book.homes.device_ids.name(i) for i in range(len(book.homes.device_ids))]
    t = np.array([r[2] for r in rows])
    return EventBatch(
        device=np.array([names.index(r[0]) for r in rows], dtype=np.intp),
        kind=np.array([r[1] for r in rows], dtype=np.intp),
        value=np.full(len(rows), math.nan),
        ts=t,
        received=t,
        untrusted=np.zeros(len(rows), dtype=bool),
        battery=np.array([r[3] for r in rows]),
    )


def _feed(book: HealthBook, state: HouseholdState, part: EventBatch) -> None:
    """As ``tanfang evaluate`` feeds: the book reads every line, the state the events."""
    book.feed(part)
    apply(book.homes, state, part.take((part.kind >= -1).nonzero()[0]))


def _opened(alerts: list[Alert]) -> list[tuple[str, str | None]]:
    return [(a.type, a.device_id) for a in alerts]


HEARTBEAT = KIND["heartbeat"]


def test_silence_opens_device_offline_once_and_a_message_clears_it() -> None:
    book, state = _fleet()
    _feed(book, state, _batch(book, [("pir-1", HEARTBEAT, T0, 90), ("door-1", HEARTBEAT, T0, 90)]))
    _feed(book, state, _batch(book, [("door-1", HEARTBEAT, T0 + 1.5 * HOUR, 90)]))
    assert book.sweep(state, T0 + 2 * HOUR) == []  # two intervals: not yet
    opened = book.sweep(state, T0 + 2 * HOUR + HEALTH_EVERY_S + 1)
    assert _opened(opened) == [("device_offline", "pir-1")]
    assert opened[0].elder_id == "KP-1"
    assert book.sweep(state, T0 + 3 * HOUR) == []  # still open: not again
    _feed(book, state, _batch(book, [("pir-1", KIND["motion"], T0 + 3.2 * HOUR, math.nan)]))
    assert book.sweep(state, T0 + 3.3 * HOUR) == []  # back: cleared
    assert sorted(_opened(book.sweep(state, T0 + 5.4 * HOUR))) == [
        ("device_offline", "door-1"),
        ("device_offline", "pir-1"),
    ]


def test_a_device_of_nobody_raises_nothing() -> None:
    book, state = _fleet()
    first = [(d, HEARTBEAT, T0, 90.0) for d in ("pir-1", "door-1", "spare-1")]
    _feed(book, state, _batch(book, first))
    later = [(d, HEARTBEAT, T0 + 1.5 * HOUR, 90.0) for d in ("pir-1", "door-1")]
    _feed(book, state, _batch(book, later))
    assert book.sweep(state, T0 + 2.5 * HOUR) == []  # the spare is silent, and nobody's


def test_a_last_will_opens_at_the_next_sweep_however_lately_heard() -> None:
    book, state = _fleet()
    _feed(book, state, _batch(book, [("door-1", HEARTBEAT, T0, 90)]))
    state.will[book.homes.device_ids.position("door-1")] = True
    assert _opened(book.sweep(state, T0 + 10)) == [("device_offline", "door-1")]


def test_battery_low_opens_below_15_and_clears_only_above_25() -> None:
    book, state = _fleet()
    # Two reports in one batch: the later one is the level.
    _feed(
        book, state, _batch(book, [("pir-1", HEARTBEAT, T0, 50), ("pir-1", HEARTBEAT, T0 + 1, 14)])
    )
    assert _opened(book.sweep(state, T0 + 10)) == [("battery_low", "pir-1")]
    for level, t in ((20.0, 0.5), (14.0, 0.7), (30.0, 0.9)):
        _feed(book, state, _batch(book, [("pir-1", HEARTBEAT, T0 + t * HOUR, level)]))
        assert book.sweep(state, T0 + t * HOUR + 1) == []  # open, open, cleared
    _feed(book, state, _batch(book, [("pir-1", HEARTBEAT, T0 + HOUR, 12)]))
    assert _opened(book.sweep(state, T0 + HOUR + 1)) == [("battery_low", "pir-1")]


def test_the_rule_runs_once_a_minute_of_event_time() -> None:
    book, state = _fleet()
    _feed(book, state, _batch(book, [("door-1", HEARTBEAT, T0, 90)]))
    assert book.sweep(state, T0 + 1) == []
    state.will[book.homes.device_ids.position("door-1")] = True
    assert book.sweep(state, T0 + HEALTH_EVERY_S - 1) == []  # within the minute
    assert _opened(book.sweep(state, T0 + HEALTH_EVERY_S + 1)) == [("device_offline", "door-1")]
