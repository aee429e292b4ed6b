"""The alerting benchmark runs every phase at its smallest size against the test rig; its
counts hold, its timings are printed and never asserted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.alerting import HEADLINE, SMOKE, run_bench
from tests.rig.services import Services


@pytest.fixture
def empty_database(services: Services) -> Iterator[str]:
    url = services.create_database()
    yield url
    services.drop_database(url)


@pytest.mark.timeout(240)
async def test_smallest_alerting_bench_alerts_every_press_and_sends_nothing_twice_or_after_ack(
    empty_database: str, services: Services, tmp_path: Path
) -> None:
    figures = (await run_bench(SMOKE, empty_database, services.mqtt_url, tmp_path)).values
    assert list(figures)[: len(HEADLINE)] == list(HEADLINE)
    assert figures["sos_sent"] == SMOKE.presses
    assert figures["sos_alerted"] == figures["sos_sent"]
    assert figures["sos_timed_notified"] == SMOKE.latency_presses
    assert figures["after_ack"] == 0
    assert figures["steps_duplicated"] == 0
    assert figures["steps_received"] > 0
    numbers = ("background_eps", "sos_p99_ms", "steps_late_p99_ms", "eps_dead_receiver")
    for key in (*numbers, "steps_late_p99_ms_ack_phase", "flood_alerts_per_s"):
        assert isinstance(figures[key], int | float), f"{key} missing: {figures}"
