"""Which device a foreign address names (directly, or through an alias either way), and
the vendor message ids kept for idempotence, on the real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from devices import sources_repo
from store.pool import Pool
from tests.gateway.helpers import execute, register

IEEE = "0x00158d0001a2b3c4"


async def bind(url: str, device_id: str, kind: str, address: str) -> None:
    await execute(
        url,
        "UPDATE devices SET source_kind = %s, source_address = %s WHERE id = %s",
        (kind, address, device_id),
    )


async def test_a_device_bound_by_either_name_is_found_by_both(
    pool: Pool, database_url: str
) -> None:
    await register(database_url, ["door-1", "door-2"], device_type="door_sensor")
    await bind(database_url, "door-1", "zigbee2mqtt", IEEE)  # bound by IEEE address
    await bind(database_url, "door-2", "zigbee2mqtt", "back_door")  # by friendly name
    async with pool.connection() as conn:
        pairs = [("front_door", IEEE), ("back_door", "0x00158d0001ffffff")]
        assert await sources_repo.save_aliases(conn, "zigbee2mqtt", pairs) == 2
        assert await sources_repo.save_aliases(conn, "zigbee2mqtt", pairs) == 0  # unchanged
        found = await sources_repo.bound_devices(
            conn, "zigbee2mqtt", ["front_door", IEEE, "0x00158d0001ffffff", "back_door", "x"]
        )
        # Another source's same address is not the same device.
        other = await sources_repo.bound_devices(conn, "tasmota", [IEEE])
        names = await sources_repo.names_of(conn, "zigbee2mqtt", "front_door")
    assert {address: b.device_id for address, b in found.items()} == {
        "front_door": "door-1",
        IEEE: "door-1",
        "0x00158d0001ffffff": "door-2",
        "back_door": "door-2",
    }
    assert found[IEEE].entry.type == "door_sensor"
    assert other == {}
    assert names == sorted(["front_door", IEEE])


async def test_a_renamed_device_moves_its_alias(pool: Pool, database_url: str) -> None:
    await register(database_url, ["door-1"], device_type="door_sensor")
    await bind(database_url, "door-1", "zigbee2mqtt", "hall_door")
    async with pool.connection() as conn:
        await sources_repo.save_aliases(conn, "zigbee2mqtt", [("hall_door", IEEE)])
        # The friendly name now names another IEEE address: it follows the bridge.
        await sources_repo.save_aliases(conn, "zigbee2mqtt", [("hall_door", "0x0000000000000002")])
        found = await sources_repo.bound_devices(conn, "zigbee2mqtt", [IEEE, "0x0000000000000002"])
    assert {a: b.device_id for a, b in found.items()} == {"0x0000000000000002": "door-1"}


async def test_message_ids_are_claimed_once_and_forgotten_after_retention(pool: Pool) -> None:
    now = datetime.now(UTC)
    old = now - timedelta(days=500)
    async with pool.connection() as conn:
        assert await sources_repo.claim_message_ids(conn, "http:acme", ["a", "b"], old) == {
            "a",
            "b",
        }
        assert await sources_repo.claim_message_ids(conn, "http:acme", ["b", "c"], now) == {"c"}
        # Ids are per source.
        assert await sources_repo.claim_message_ids(conn, "http:other", ["a"], now) == {"a"}
        assert await sources_repo.forget_message_ids(conn, now - timedelta(days=400)) == 2
        assert await sources_repo.claim_message_ids(conn, "http:acme", ["a", "c"], now) == {"a"}
