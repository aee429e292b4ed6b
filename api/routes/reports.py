"""``/api/v1/reports/monthly``: the monthly statistics table (探訪關愛服務情況統計表)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.auth import ElderReader
from api.params import plain_text
from api.routes.care_common import MonthQuery, actor_of, month_of, scope_town
from api.state import StateDep
from care import audit, audit_repo, report
from care.month import Month

router = APIRouter(tags=["reports"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


@router.get("/reports/monthly", response_model=None)
async def monthly(
    principal: ElderReader,
    state: StateDep,
    month: MonthQuery = None,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    fmt: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
) -> dict[str, Any] | Response:
    """Per town and in total: elders on file by class, with a contact person, visited, the
    monthly visit rate (visited ÷ on file), elders meeting the plan's minimum (not the
    watch weeks) and their rate, visits by method, online visits from devices, refusals,
    alerts by type. ``format=csv`` (UTF-8 with BOM,
    Chinese headings) or ``xlsx``. Town staff get their own town."""
    town = scope_town(principal, plain_text(town, "town"))
    today = state.today()
    asked = month_of(month, Month.of(today))
    async with state.connection() as conn:
        table = await report.monthly_report(conn, asked, town, today, state.settings.tz)
        await audit_repo.record(
            conn,
            actor_of(principal),
            audit.EXPORT,
            "report.monthly",
            str(asked),
            town=town,
            detail={"format": str(fmt)},
        )
    name = f"tanfang-monthly-{asked}"
    if fmt is ReportFormat.CSV:
        return Response(
            report.to_csv(table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt is ReportFormat.XLSX:
        return Response(
            report.to_xlsx(table),
            media_type=XLSX_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    return report.to_json(table)
