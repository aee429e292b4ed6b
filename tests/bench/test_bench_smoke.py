"""The ingest benchmark runs end to end at small size; figures are printed, never asserted."""

from __future__ import annotations

import shutil

import pytest

from tests.bench.runner import run_quick


@pytest.mark.timeout(240)
@pytest.mark.skipif(
    shutil.which("mosquitto_sub") is None,
    reason="the benchmark's baseline needs mosquitto_sub (apt-get install mosquitto-clients)",
)
def test_quick_bench_reports_every_event_stored_once() -> None:
    figures = run_quick("ingest.py")
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["events"] == 3_000
    for key in ("bare_eps", "gateway_eps", "ratio", "lag_p50_ms", "lag_p99_ms", "rss_mib"):
        assert isinstance(figures[key], int | float), f"{key} missing: {figures}"
