"""The monthly statistics table (探訪關愛服務情況統計表) that each town sends the
civil-affairs bureau: per town and in total, in JSON (English keys), CSV and XLSX (the
staff's Chinese headings).

"On file" (建檔人數) counts the special-difficulty elders of classes A, B and C on file by the
month's end, classed on the day the month is judged (its last day, or today while it runs).
The monthly visit rate (月探訪率) is visited ÷ on file; ``plan_minimum_met`` counts the elders
whose class's minimum frequency of the plan was met (care.compliance). It is deliberately
not the compliance answer's ``compliant``: that one also asks for the extra visits of
heightened-watch weeks, which the bureau's table does not report, so the column says what it
counts. A refused visit is counted as a refusal, not as a visit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, Final
from zoneinfo import ZoneInfo

import orjson

from care import report_repo, tables
from care.month import Month, as_of
from store.db import Conn

TITLE: Final = "探訪關愛服務情況統計表"
TOTAL_TOWN: Final = "合計"
NO_TOWN: Final = "(未填鎮街)"

ALERT_TYPES: Final = {
    "sos": "緊急呼叫",
    "fall": "跌倒",
    "smoke": "煙霧報警",
    "gas": "燃氣報警",
    "inactivity": "長時間無活動",
    "night_wandering": "夜間外出未歸",
    "abnormal_temperature": "室溫異常",
    "abnormal_vitals": "生命體征異常",
    "activity_drop": "活動量下降",
    "device_offline": "設備離線",
    "battery_low": "電量不足",
    "missed_checkin": "未報平安",
    "visit_overdue": "探訪逾期",
}

COUNT_COLUMNS: Final = (
    ("on_file", "建檔人數"),
    ("class_a", "A類人數"),
    ("class_b", "B類人數"),
    ("class_c", "C類人數"),
    ("not_served", "未列入A/B/C類人數"),
    ("with_contact_person", "已明確探訪關愛服務聯系人人數"),
    ("visited", "本月已探訪人數"),
    ("plan_minimum_met", "達到計劃最低探訪頻次人數"),
    ("visits_total", "探訪人次"),
    ("visits_in_home", "上門入戶探訪人次"),
    ("visits_phone", "電話探訪人次"),
    ("visits_video", "視頻探訪人次"),
    ("visits_online", "線上探訪人次"),
    ("online_from_devices", "其中：設備報平安線上探訪人次"),
    ("refusing_elders", "拒絕探訪人數"),
    ("refused_visits", "拒絕探訪次數"),
)
RATE_COLUMNS: Final = (
    ("monthly_visit_rate", "月探訪率", "visited"),
    ("plan_minimum_rate", "計劃最低探訪頻次達標率", "plan_minimum_met"),
)
ALERT_COLUMNS: Final = tuple((f"alerts_{t}", f"告警：{zh}") for t, zh in ALERT_TYPES.items())


def columns() -> list[tuple[str, str]]:
    """(JSON key, Chinese heading) of every column, in the table's order."""
    found = [("town", "鎮街")]
    found += list(COUNT_COLUMNS[:7])
    found.append(RATE_COLUMNS[0][:2])
    found.append(COUNT_COLUMNS[7])
    found.append(RATE_COLUMNS[1][:2])
    found += list(COUNT_COLUMNS[8:])
    found += list(ALERT_COLUMNS)
    found.append(("alerts_total", "告警合計"))
    return found


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    month: Month
    town: str | None
    as_of: date
    towns: list[dict[str, Any]]
    total: dict[str, Any]


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    on_file = row["on_file"]
    for key, _, numerator in RATE_COLUMNS:
        row[key] = round(row[numerator] / on_file, 4) if on_file else None
    row["alerts_total"] = sum(row[key] for key, _ in ALERT_COLUMNS)
    return row


def build(
    month: Month,
    town: str | None,
    on: date,
    rows: Iterable[dict[str, Any]],
    alerts: dict[tuple[str | None, str], int],
) -> MonthlyReport:
    """The table from the per-town counts and the alert counts by (town, type). A town with
    alerts but no elder on file by the month's end (a file opened later) still has its row,
    so that the total counts every alert."""
    towns: list[dict[str, Any]] = []
    total: dict[str, Any] = {key: 0 for key, _ in COUNT_COLUMNS + ALERT_COLUMNS}
    rows = list(rows)
    listed = {raw["town"] for raw in rows}
    alert_only = {t for t, _ in alerts if t not in listed}
    rows += [{"town": t} for t in sorted(alert_only, key=lambda t: (t is None, t or ""))]
    for raw in rows:
        row = {key: int(raw.get(key) or 0) for key, _ in COUNT_COLUMNS}
        for key, _ in ALERT_COLUMNS:
            row[key] = alerts.get((raw["town"], key.removeprefix("alerts_")), 0)
        for key in total:
            total[key] += row[key]
        towns.append({"town": raw["town"] if raw["town"] is not None else NO_TOWN, **row})
    return MonthlyReport(
        month, town, on, [_rates(r) for r in towns], _rates({"town": TOTAL_TOWN, **total})
    )


async def monthly_report(
    conn: Conn, month: Month, town: str | None, today: date, tz: ZoneInfo
) -> MonthlyReport:
    """The table for ``month`` (one town, or every town when ``town`` is None)."""
    on = as_of(month, today)
    rows = await report_repo.town_rows(conn, month, town, on, tz)
    alerts = await report_repo.alert_counts(conn, month, town, tz)
    return build(month, town, on, rows, alerts)


def to_json(report: MonthlyReport) -> dict[str, Any]:
    return {
        "title": TITLE,
        "month": str(report.month),
        "town": report.town,
        "as_of": report.as_of.isoformat(),
        "columns": [{"key": key, "title": title} for key, title in columns()],
        "towns": report.towns,
        "total": report.total,
    }


def _shown(key: str, value: Any) -> Any:
    if key.endswith("_rate"):
        return "—" if value is None else f"{value * 100:.1f}%"
    return value


def table_rows(report: MonthlyReport) -> list[list[Any]]:
    """Heading row, then a row per town, then the total row."""
    keys = [key for key, _ in columns()]
    rows: list[list[Any]] = [[title for _, title in columns()]]
    for row in [*report.towns, report.total]:
        rows.append([_shown(key, row[key]) for key in keys])
    return rows


def to_csv(report: MonthlyReport) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel opens the Chinese headings correctly."""
    return tables.csv_bytes(table_rows(report))


def to_xlsx(report: MonthlyReport) -> bytes:
    """One sheet: the caption, then the table as in the CSV (numbers stay numbers)."""
    return tables.xlsx_bytes(TITLE, [[caption_of(report)], *table_rows(report)])


def caption_of(report: MonthlyReport) -> str:
    return f"{TITLE}（{report.month}，{report.town or '全部鎮街'}）"


def to_text(report: MonthlyReport) -> str:
    """For a terminal: one line per column, one column of figures per town."""
    rows = table_rows(report)
    width = max(len(str(cell)) for row in rows for cell in row[1:]) + 2
    lines = [f"{TITLE} {report.month}（截至 {report.as_of}）"]
    for index, (_, title) in enumerate(columns()):
        figures = "".join(str(row[index]).rjust(width) for row in rows[1:])
        lines.append(f"{title}\t{figures}")
    return "\n".join(lines) + "\n"


FORMATS: Final = ("table", "json", "csv", "xlsx")


def render(table: MonthlyReport, fmt: str) -> bytes:
    """The table in one of ``FORMATS``."""
    if fmt == "json":
        return orjson.dumps(to_json(table), option=orjson.OPT_INDENT_2) + b"\n"
    if fmt == "csv":
        return to_csv(table)
    if fmt == "xlsx":
        return to_xlsx(table)
    if fmt == "table":
        return to_text(table).encode("utf-8")
    raise ValueError(f"format must be one of {', '.join(FORMATS)}")
