"""The scale benchmark runs end to end at small size (one gateway, then three on slots);
figures are printed, never asserted, apart from nothing lost or doubled."""

from __future__ import annotations

import pytest

from tests.bench.runner import run_quick

pytestmark = pytest.mark.slow


@pytest.mark.timeout(240)
def test_quick_scale_bench_stores_every_event_once_with_one_and_three_gateways() -> None:
    figures = run_quick("scale.py")
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert [phase["gateways"] for phase in figures["phases"]] == [1, 3]
    assert figures["events_per_home_day"]["all"] > 0
    assert figures["bytes_per_event"] > 0
