"""``/api/v1/reports/…``: the monthly statistics table (探訪關愛服務情況統計表) and the
alerts' response times beside the telecare standard (告警響應時間統計表)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Response

from alerting import kpi_export, kpi_services
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
    return _download(report.render(table, str(fmt)), f"tanfang-monthly-{asked}", fmt)


@router.get("/reports/alerts", response_model=None)
async def alerts(
    principal: ElderReader,
    state: StateDep,
    month: MonthQuery = None,
    town: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    fmt: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.JSON,
) -> dict[str, Any] | Response:
    """Per severity and overall, the alerts opened in the month (of one town's elders with
    ``town``): their number; median and p90 seconds to the first notification sent, to the
    first ack, to resolution; the shares acked within 60 s and 180 s of **every** alert of
    the severity, with whether the telecare targets (97.5 % / 99 %; the stricter 98.5 %
    within 60 s) are met. ``format=csv`` or ``xlsx`` as the monthly report. Town staff get
    their own town."""
    asked = month_of(month, state.today())
    async with state.connection() as conn:
        figures = await kpi_services.alert_kpis(
            conn,
            actor_of(principal),
            asked,
            plain_text(town, "town"),
            tz=state.settings.tz,
            fmt=str(fmt),
        )
    if fmt is ReportFormat.JSON:
        return kpi_export.to_json(figures)
    # The file ``tanfang report alerts`` writes (alerting.kpi_export.render), as a download.
    return _download(kpi_export.render(figures, str(fmt)), f"tanfang-alerts-{asked}", fmt)


def _download(data: bytes, stem: str, fmt: ReportFormat) -> Response:
    return Response(
        data,
        media_type=_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"'},
    )
