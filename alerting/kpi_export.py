"""The alerts' response times (``alerting.kpi``) as JSON (English keys), CSV and XLSX
(the staff's Chinese headings), written by the reports' writers (``care.tables``)."""

from __future__ import annotations

from typing import Any, Final

import orjson

from alerting.kpi import DENOMINATOR, OVERALL, STAGES, TARGETS, WINDOWS_S, AlertKpis, flat
from care import tables

TITLE: Final = "告警響應時間統計表"
# An XLSX sheet name holds at most 31 characters and no brackets.
SHEET: Final = "告警響應時間"

SEVERITY_TITLES: Final = {"critical": "緊急", "high": "高", "low": "低", OVERALL: "合計"}
# Per step timed: the word of its counts (已…數, 未…數) and of its times (至…時間).
STAGE_TITLES: Final = {
    "notify": ("通知", "首次通知"),
    "ack": ("確認", "首次確認"),
    "resolve": ("處理完畢", "處理完畢"),
}
MET_TEXT: Final = {True: "達標", False: "未達標", None: "—"}

FORMATS: Final = ("json", "csv", "xlsx")

NOTES: Final = (
    "確認率的分母：本月開啟的該級別全部告警（含從未確認、從未通知者）。",
    "確認：首次確認（告警確認後再次開啟，仍以首次確認計），或未經確認由人員直接處理完畢；"
    "系統自動解除不算確認。",
    "時間自告警開啟起計；中位數、P90只計已到達該步的告警。",
)


def columns() -> list[tuple[str, str]]:
    """(JSON key, Chinese heading) of every column, in the table's order."""
    found = [("severity", "告警級別"), ("alerts", "告警數")]
    for name, done, never in STAGES:
        counted, timed = STAGE_TITLES[name]
        found += [
            (done, f"已{counted}數"),
            (never, f"未{counted}數"),
            (f"to_{name}_median_s", f"至{timed}時間中位數（秒）"),
            (f"to_{name}_p90_s", f"至{timed}時間P90（秒）"),
        ]
    for window in WINDOWS_S:
        found += [
            (f"acked_within_{window}s", f"{window}秒內確認數"),
            (f"acked_within_{window}s_share", f"{window}秒內確認率"),
        ]
    found += [(target.key, target.title) for target in TARGETS]
    return found


def to_json(report: AlertKpis) -> dict[str, Any]:
    return {
        "title": TITLE,
        "month": str(report.month),
        "town": report.town,
        "timezone": report.timezone,
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "share_denominator": DENOMINATOR,
        "targets": [
            {"key": t.key, "within_s": t.within_s, "share": float(t.share)} for t in TARGETS
        ],
        "columns": [{"key": key, "title": title} for key, title in columns()],
        "severities": [flat(f) for f in report.severities],
        "overall": flat(report.overall),
    }


def _shown(key: str, value: Any) -> Any:
    if key == "severity":
        return SEVERITY_TITLES.get(value, value)
    if key.endswith("_share"):
        return "—" if value is None else f"{value * 100:.2f}%"
    if key.endswith("_met"):
        return MET_TEXT[value]
    return "—" if value is None else value


def table_rows(report: AlertKpis) -> list[list[Any]]:
    """Heading row, a row per severity, the overall row, then the notes."""
    keys = [key for key, _ in columns()]
    rows: list[list[Any]] = [[title for _, title in columns()]]
    for figures in [*report.severities, report.overall]:
        row = flat(figures)
        rows.append([_shown(key, row[key]) for key in keys])
    return rows + [[note] for note in NOTES]


def caption_of(report: AlertKpis) -> str:
    return f"{TITLE}（{report.month}，{report.town or '全部鎮街'}，{report.timezone}）"


def render(report: AlertKpis, fmt: str) -> bytes:
    """The report in one of ``FORMATS``."""
    if fmt == "json":
        return orjson.dumps(to_json(report), option=orjson.OPT_INDENT_2) + b"\n"
    if fmt == "csv":
        return tables.csv_bytes(table_rows(report))
    if fmt == "xlsx":
        return tables.xlsx_bytes(SHEET, [[caption_of(report)], *table_rows(report)])
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")
