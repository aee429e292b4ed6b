"""SQL of the device-health sweep: the whole fleet's liveness in one read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from store.db import Conn

# One row per device: when it was last heard (an event, or a status "online"), in epoch
# seconds; its Last Will standing (status "offline"); its battery. Plain tuples: 100 000
# rows go straight into the sweep's arrays.
_FLEET: Final = (
    "SELECT id, type, elder_id, heartbeat_interval_s,"
    " extract(epoch FROM GREATEST(last_seen,"
    "   CASE WHEN online THEN status_changed_at END))::float8,"
    " online IS FALSE, battery::float8"
    " FROM devices"
)


@dataclass(frozen=True, slots=True)
class FleetHealth:
    """Columns of the fleet, slot ``i`` = one device (None: never heard / unknown)."""

    ids: list[str]
    types: list[str]
    elder_ids: list[str | None]
    interval_s: list[int]
    last_heard: list[float | None]
    will: list[bool]
    battery: list[float | None]


async def fleet_health(conn: Conn) -> FleetHealth:
    cur = await conn.execute(_FLEET)
    rows = await cur.fetchall()
    if not rows:
        return FleetHealth([], [], [], [], [], [], [])
    ids, types, elders, intervals, heard, will, battery = (list(c) for c in zip(*rows, strict=True))
    return FleetHealth(ids, types, elders, intervals, heard, will, battery)
