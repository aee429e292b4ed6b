"""The detection's clock: the wall clock by default; a simulated one maps wall-clock times
(the database's receipts and alert openings) onto simulated time and back."""

from __future__ import annotations

import time
from datetime import datetime

import numpy as np
import pytest

from gateway.detect_clock import WALL, ClockError, parse_clock

START = "2026-11-30T08:00:00+08:00"


def test_unset_or_blank_is_the_wall_clock_and_maps_nothing() -> None:
    assert parse_clock(None) is WALL
    assert parse_clock("  ") is WALL
    assert not WALL.simulated
    assert WALL.of_wall(1234.5) == 1234.5
    assert WALL.to_wall(1234.5) == 1234.5
    before = time.time()
    assert before <= WALL.now() <= time.time()


def test_a_simulated_clock_runs_speed_times_as_fast_from_its_anchor() -> None:
    clock = parse_clock(f"{START}, 1000.0, 600")
    start = datetime.fromisoformat(START).timestamp()
    assert clock.simulated
    assert clock.of_wall(1000.0) == start
    assert clock.of_wall(1001.5) == start + 900.0  # 1.5 wall seconds: 15 simulated minutes
    assert clock.to_wall(start + 3 * 3600.0) == pytest.approx(1018.0)
    receipts = np.array([1000.0, 1002.0])
    assert list(clock.of_wall(receipts)) == [start, start + 1200.0]
    wall = time.time()
    assert clock.now() == pytest.approx(clock.of_wall(wall), abs=600.0)  # within a wall second


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("2026-11-30T08:00:00,0,1", "START needs an offset"),
        (f"{START},0", "got 2 part(s)"),
        (f"{START},x,600", "WALL and SPEED are numbers"),
        (f"{START},-1,600", "WALL is epoch seconds"),
        (f"{START},0,-600", "SPEED is a positive number"),
        (f"{START},0,nan", "SPEED is a positive number"),
    ],
)
def test_an_unreadable_clock_says_what_it_expects(text: str, said: str) -> None:
    with pytest.raises(ClockError, match=said.replace("(", r"\(").replace(")", r"\)")):
        parse_clock(text)
