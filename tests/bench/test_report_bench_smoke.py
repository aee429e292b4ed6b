"""The report benchmark runs end to end at small size; figures are printed, not asserted."""

from __future__ import annotations

import pytest

from tests.bench.runner import run_quick


@pytest.mark.timeout(240)
def test_quick_report_bench_prints_its_figures_as_a_json_line() -> None:
    figures = run_quick("monthly_report.py")
    assert figures["elders"] == 10_000
    assert figures["visits_total"] > 0
    assert 0 < figures["monthly_visit_rate"] <= 1
