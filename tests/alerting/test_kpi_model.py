"""The pure part of the response-time report: targets judged on exact shares, every
severity present, and the table's columns matching the JSON keys."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from alerting import kpi, kpi_export
from care.month import Month
from tests.alerting.kpi_month import TZ

MARCH = Month(2026, 3)


def acked(alerts: int, within_60: int, within_180: int) -> kpi.Figures:
    return kpi.figures_of(
        "critical",
        {"alerts": alerts, "acked_within_60s": within_60, "acked_within_180s": within_180},
    )


def test_a_target_is_met_at_exactly_its_share_and_not_a_call_below() -> None:
    strict = next(t for t in kpi.TARGETS if t.key == "strict_target_60s_met")
    usual = next(t for t in kpi.TARGETS if t.key == "target_60s_met")
    assert acked(1000, 975, 1000).met(usual) is True
    assert acked(1000, 974, 1000).met(usual) is False
    assert acked(1000, 985, 1000).met(strict) is True
    assert acked(1000, 984, 1000).met(strict) is False


@given(st.integers(1, 10_000), st.data())
def test_met_is_the_exact_comparison_of_counts(alerts: int, data: st.DataObject) -> None:
    within = data.draw(st.integers(0, alerts))
    for target in kpi.TARGETS:
        figures = acked(alerts, within, within)
        assert figures.met(target) is (within * 1000 >= target.share * 1000 * alerts)


def test_no_alerts_means_no_share_and_nothing_to_judge() -> None:
    figures = acked(0, 0, 0)
    assert figures.share_within(60) is None
    assert all(figures.met(t) is None for t in kpi.TARGETS)


def test_every_severity_and_the_overall_row_are_present_with_or_without_rows() -> None:
    report = kpi.build(MARCH, None, TZ, [{"severity": "high", "alerts": 2}])
    assert [(f.severity, f.alerts) for f in report.severities] == [
        ("critical", 0),
        ("high", 2),
        ("low", 0),
    ]
    assert report.overall.severity == kpi.OVERALL
    assert report.timezone == "Asia/Shanghai"


def test_the_targets_are_the_telecare_standard() -> None:
    assert [(t.within_s, t.share) for t in kpi.TARGETS] == [
        (60, Fraction("0.975")),
        (180, Fraction("0.99")),
        (60, Fraction("0.985")),
    ]


def test_the_table_has_a_column_for_every_json_key_and_a_row_per_severity() -> None:
    report = kpi.build(MARCH, None, TZ, [])
    keys = [key for key, _ in kpi_export.columns()]
    assert keys == list(kpi.flat(report.overall))
    rows = kpi_export.table_rows(report)
    assert [row[0] for row in rows[1:5]] == ["緊急", "高", "低", "合計"]
    assert rows[1][keys.index("target_60s_met")] == "—"
    assert [row[0] for row in rows[5:]] == list(kpi_export.NOTES)
