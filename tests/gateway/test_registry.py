"""The in-memory registry: loaded whole, refreshed per device, reloaded on a timer."""

from __future__ import annotations

import asyncio

import psycopg

from devices.registry import Registry
from tests.gateway.helpers import fetch, poll, register


async def test_load_and_refresh_follow_the_devices_table(database_url: str) -> None:
    await register(database_url, ["a", "b"], elder_id="KP-1")
    registry = Registry()
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await registry.load(conn)
        assert len(registry) == 2
        entry = registry.get("a")
        assert entry is not None
        assert (entry.elder_id, entry.type) == ("KP-1", "motion_sensor")
        await conn.execute("DELETE FROM devices WHERE id = 'a'")
        await registry.refresh(conn, "a")
    assert registry.get("a") is None
    assert "b" in registry


async def test_a_change_the_notification_missed_is_picked_up_by_the_periodic_reload(
    database_url: str,
) -> None:
    registry, stop = Registry(), asyncio.Event()
    task = asyncio.create_task(registry.run(database_url, stop, reload_s=0.2))
    try:
        await asyncio.wait_for(registry.loaded.wait(), 10)
        # The trigger fires only for inserts, deletes and changes of elder or type: a row
        # written with triggers disabled stands for a lost notification.
        await fetch(
            database_url,
            "INSERT INTO elders (id, name) VALUES ('KP-9', 'x') RETURNING id",
        )
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as c:
            await c.execute("SET session_replication_role = replica")
            await c.execute(
                "INSERT INTO devices (id, type, elder_id) VALUES ('q', 'wearable', 'KP-9')"
            )
        await poll(lambda: _get(registry, "q"), lambda e: e is not None, what="reloaded")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def _get(registry: Registry, device_id: str) -> object:
    return registry.get(device_id)
