"""SQL of the alerts' response times (``alerting.kpi``): one query over the alerts opened
in a span, their first sent notification and their first answer, aggregated per severity
and overall (``GROUPING SETS``) with ``percentile_cont`` in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from psycopg import sql

from alerting.kpi import OVERALL, WINDOWS_S
from store.db import Conn, Row, fetch_rows

# The alerts of the span (``alerts_opened``, migration 0046) with, looked up per alert by
# index, the earliest notification sent for help (reminders and resolution notices are not
# a call) and the first answer by a person (the timeline keeps the first ack when a
# re-opening cleared ``acked_at``; a person's ``resolved`` is an answer, the system's
# ``cleared`` is not); then the durations in seconds. Subqueries per row rather than joined
# aggregates: the planner then knows there is one row per alert (joined CTEs made it expect
# millions and spend seconds compiling the query). An alert's town is its elder's or a
# town-level alert's own (migration 0045); a system alert belongs to no town: left out when
# a town is asked. An alert grouped under a storm's incident (``parent_id``) is answered
# through the incident: only the incident counts.
_DURATIONS: Final = sql.SQL(
    "WITH d AS ("
    "  SELECT a.severity,"
    "   extract(epoch FROM (SELECT min(n.sent_at) FROM notifications AS n"
    "    WHERE n.alert_id = a.id AND n.status = 'sent'"
    "    AND n.purpose IN ('alert', 'last_resort')) - a.opened_at)::float8 AS to_notify,"
    "   extract(epoch FROM LEAST((SELECT min(t.at) FROM alert_timeline AS t"
    "    WHERE t.alert_id = a.id AND t.kind IN ('acked', 'resolved')), a.acked_at)"
    "    - a.opened_at)::float8 AS to_ack,"
    "   extract(epoch FROM a.resolved_at - a.opened_at)::float8 AS to_resolve"
    "  FROM alerts AS a LEFT JOIN elders AS e ON e.id = a.elder_id"
    "  WHERE a.opened_at >= %(start)s AND a.opened_at < %(end)s AND a.parent_id IS NULL"
    "  AND (%(town)s::text IS NULL OR coalesce(e.town, a.town) = %(town)s))"
    " SELECT CASE WHEN GROUPING(severity) = 1 THEN {overall} ELSE severity END AS severity,"
    "  count(*) AS alerts,"
    "  {spreads}, {windows}"
    " FROM d GROUP BY GROUPING SETS ((severity), ())"
)

_SPREAD: Final = sql.SQL(
    "count({column}) AS {count},"
    " percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}) AS {median},"
    " percentile_cont(0.9) WITHIN GROUP (ORDER BY {column}) AS {p90}"
)

# (duration column, key counting the alerts that got there) per step timed.
_STEPS: Final = (("notify", "notified"), ("ack", "acked"), ("resolve", "resolved"))


def _query() -> sql.Composed:
    spreads = sql.SQL(", ").join(
        _SPREAD.format(
            column=sql.Identifier(f"to_{name}"),
            count=sql.Identifier(count),
            median=sql.Identifier(f"to_{name}_median_s"),
            p90=sql.Identifier(f"to_{name}_p90_s"),
        )
        for name, count in _STEPS
    )
    windows = sql.SQL(", ").join(
        sql.SQL("count(*) FILTER (WHERE to_ack <= {window}) AS {key}").format(
            window=sql.Literal(window), key=sql.Identifier(f"acked_within_{window}s")
        )
        for window in WINDOWS_S
    )
    return _DURATIONS.format(overall=sql.Literal(OVERALL), spreads=spreads, windows=windows)


_QUERY: Final = _query()


async def response_figures(
    conn: Conn, start: datetime, end: datetime, town: str | None
) -> list[Row]:
    """Per severity that had alerts opened in [``start``, ``end``) — of ``town``'s elders,
    or every alert when ``town`` is None — and one row ``severity = "all"``: ``alerts``;
    per step (``notify``, ``ack``, ``resolve``) the alerts that got there (``notified``,
    ``acked``, ``resolved``) and ``to_<step>_median_s`` / ``to_<step>_p90_s``; and
    ``acked_within_<w>s`` for each window of ``alerting.kpi.WINDOWS_S`` (inclusive)."""
    return await fetch_rows(conn, _QUERY, {"start": start, "end": end, "town": town})
