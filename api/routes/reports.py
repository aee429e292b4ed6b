"""``/api/v1/reports/monthly``: the monthly statistics table (探訪關愛服務情況統計表)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Response

from api.auth import ElderReader
from api.params import plain_text
from api.routes.care_common import MonthQuery, actor_of, month_of
from api.state import StateDep
from care import report, visit_services

router = APIRouter(tags=["reports"])

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


_MEDIA_TYPES: Final = {ReportFormat.CSV: "text/csv; charset=utf-8", ReportFormat.XLSX: XLSX_TYPE}


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
    today = state.today()
    asked = month_of(month, today)
    async with state.connection() as conn:
        table = await visit_services.monthly_report(
            conn,
            actor_of(principal),
            asked,
            plain_text(town, "town"),
            today=today,
            tz=state.settings.tz,
            fmt=str(fmt),
        )
    if fmt is ReportFormat.JSON:
        return report.to_json(table)
    # The file the command line writes (care.report.render), as a download.
    name = f"tanfang-monthly-{asked}.{fmt}"
    return Response(
        report.render(table, str(fmt)),
        media_type=_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
