"""The use case of the alerts' response-time report (``GET /reports/alerts``,
``tanfang report alerts``): the town rule, the figures, and the export's audit record, in
the caller's transaction."""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

from alerting import kpi, kpi_repo
from care import audit, audit_repo
from care.access import scope_town
from care.audit import Actor
from care.month import Month
from care.town_services import filter_town
from store.db import Conn

ENTITY: Final = "report.alerts"


async def alert_kpis(
    conn: Conn, actor: Actor, month: Month, town: str | None, *, tz: ZoneInfo, fmt: str
) -> kpi.AlertKpis:
    """The response times of the alerts opened in ``month`` (cut in ``tz``), of ``town``'s
    elders or of every alert; town staff get their own town (another town: ForbiddenError;
    an unknown town: InvalidFieldError naming ``town``). The export in format ``fmt`` is
    written to the audit log."""
    town = scope_town(actor, await filter_town(conn, town))
    start, end = month.bounds(tz)
    rows = await kpi_repo.response_figures(conn, start, end, town)
    await audit_repo.record(
        conn, actor, audit.EXPORT, ENTITY, str(month), town=town, detail={"format": fmt}
    )
    return kpi.build(month, town, tz, rows)
