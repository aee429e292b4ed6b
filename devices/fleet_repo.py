"""SQL of the fleet as the console shows it: each device with its home's town and why it
needs attention (offline, low battery, never heard from). Callers own the transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from psycopg import sql

from devices.models import FleetDevice
from store.db import Condition, Conn, above, equals, fetch_all, where

# One row per device, its home's town, and its reasons for attention. The gateway's
# device-health sweep is the judge of a silent device (missed heartbeats): its open
# device_offline / battery_low alert (subject ``device:<id>``, the partial unique index
# ``alerts_one_active``) counts as much as the device's own Last Will and battery.
_FLEET: Final = sql.SQL(
    "WITH fleet AS ("
    " SELECT d.id, d.type, d.elder_id, d.room, e.town, d.heartbeat_interval_s, d.online,"
    "  d.last_seen, d.battery, d.status, d.status_changed_at,"
    "  array_remove(ARRAY["
    "   CASE WHEN d.online IS FALSE OR a.offline THEN 'offline' END,"
    "   CASE WHEN d.battery < %(low)s OR a.low_battery THEN 'low_battery' END,"
    "   CASE WHEN d.online IS NULL AND d.last_seen IS NULL THEN 'never_heard' END"
    "  ], NULL) AS attention"
    " FROM devices AS d LEFT JOIN elders AS e ON e.id = d.elder_id"
    " LEFT JOIN LATERAL (SELECT bool_or(type = 'device_offline') AS offline,"
    "   bool_or(type = 'battery_low') AS low_battery FROM alerts"
    "   WHERE subject = 'device:' || d.id AND type IN ('device_offline', 'battery_low')"
    "   AND status IN ('open', 'acked')) AS a ON true"
    ") SELECT * FROM fleet{} ORDER BY id LIMIT %(limit)s"
)

_NEEDS_ATTENTION: Final = Condition(sql.SQL("cardinality(attention) > 0"))


async def list_fleet(
    conn: Conn,
    *,
    town: str | None,
    elder_id: str | None,
    attention_only: bool,
    low_battery: float,
    after: str | None,
    limit: int,
) -> Sequence[FleetDevice]:
    """Devices in id order after ``after`` (keyset): of one town's homes, one elder's home,
    or only those needing attention, as asked; ``low_battery`` is the percent below which a
    battery needs changing."""
    filters = where(
        equals("town", town),
        equals("elder_id", elder_id),
        _NEEDS_ATTENTION if attention_only else None,
        above("id", after),
    )
    params = {**filters.params, "low": low_battery, "limit": limit}
    return await fetch_all(conn, _FLEET.format(filters.clause), params, FleetDevice)
