"""The towns' registry in the database: the seed covers every town the simulators (and so
the demo) file elders in, the SQL and Python normalisations agree, and migration 0030 maps
the towns already on file, leaving what it cannot map visible."""

from __future__ import annotations

import psycopg
import pytest

from care import town_services, towns_repo
from care.towns import close_matches, town_key
from simulators.names import TOWNS
from store.db import Conn
from store.migrate import migrate_url
from tests.care.conftest import add_elder

TRICKY = [
    "赤坎鎮 ",
    "\u3000赤坎鎮",
    "赤\u00a0坎\u2003鎮",
    "赤坎鎮\u200b",
    "\ufeff赤坎鎮",
    "赤坎鎮\n\t",
    "赤坎鎮\u2028",
    "赤坎鎮\u0085",
    "\x1c赤坎\x0b鎮\r",
    "ｃｈｉｋａｎ",
    "\uf9fe坎",  # a CJK compatibility ideograph: NFKC makes it the unified one
]


async def test_every_town_of_the_simulators_is_registered_under_its_own_name(conn: Conn) -> None:
    registered = {t.name for t in await town_services.list_towns(conn)}
    assert set(TOWNS) <= registered


@pytest.mark.parametrize(
    ("alias", "town"),
    [
        ("长沙街道", "長沙街道"),
        ("月山镇", "月山鎮"),
        ("苍城镇", "蒼城鎮"),
        ("龙胜镇", "龍勝鎮"),
        ("马冈镇", "馬岡鎮"),
        ("蚬冈镇", "蚬岡鎮"),
        ("蜆岡鎮", "蚬岡鎮"),
        ("金鸡镇", "金雞鎮"),
        ("赤水镇", "赤水鎮"),
        ("翠山湖新區", "翠山湖"),
    ],
)
async def test_simplified_and_official_forms_name_the_registered_town(
    conn: Conn, alias: str, town: str
) -> None:
    assert await towns_repo.resolve(conn, town_key(alias)) == town


async def test_the_database_normalises_town_names_as_python_does(conn: Conn) -> None:
    cur = await conn.execute("SELECT tanfang_town_key(v) FROM unnest(%s::text[]) AS v", (TRICKY,))
    assert [row[0] for row in await cur.fetchall()] == [town_key(v) for v in TRICKY]
    assert town_key(TRICKY[2]) == "赤坎鎮"


def test_close_matches_offer_at_most_three_registered_names_best_first() -> None:
    known = {"赤坎鎮": "赤坎鎮", "赤坎镇": "赤坎鎮", "赤水鎮": "赤水鎮", "水口鎮": "水口鎮"}
    assert close_matches("赤坎真", known)[0] == "赤坎鎮"
    assert {"赤坎鎮", "赤水鎮"} <= set(close_matches("赤崁鎮", known))
    assert len(close_matches("鎮", {f"{i}鎮": f"{i}鎮" for i in range(9)})) <= 3
    assert close_matches("Springfield", known) == []


@pytest.fixture
async def before_towns(empty_database_url: str) -> str:
    """A database as it was before the towns' registry (migrations up to 0029)."""
    await migrate_url(empty_database_url, upto=29)
    return empty_database_url


async def test_migration_maps_old_towns_and_leaves_the_unmappable_listed(before_towns: str) -> None:
    async with await psycopg.AsyncConnection.connect(before_towns, autocommit=True) as conn:
        old = {"K-1": "赤坎鎮 ", "K-2": "赤坎镇", "K-3": "\u3000蚬冈镇", "K-4": "Chikan"}
        for elder_id, town in old.items():
            await add_elder(conn, elder_id, town=town)
        await add_elder(conn, "K-5", town=None)
        await conn.execute(
            "INSERT INTO api_tokens (token_hash, role, town, name) VALUES"
            " ('h1', 'town_staff', '赤坎 ', 'a'), ('h2', 'town_staff', '舊鎮', 'b')"
        )
    await migrate_url(before_towns)
    async with await psycopg.AsyncConnection.connect(before_towns) as conn:
        cur = await conn.execute("SELECT id, town FROM elders ORDER BY id")
        assert dict(await cur.fetchall()) == {
            "K-1": "赤坎鎮",
            "K-2": "赤坎鎮",
            "K-3": "蚬岡鎮",
            "K-4": "Chikan",
            "K-5": None,
        }
        cur = await conn.execute("SELECT name, town FROM api_tokens ORDER BY name")
        assert await cur.fetchall() == [("a", "赤坎鎮"), ("b", "舊鎮")]
        unmapped = await town_services.unmapped(conn)
    assert [(e.id, e.town) for e in unmapped.elders] == [("K-4", "Chikan"), ("K-5", None)]
    assert [(t.name, t.town) for t in unmapped.tokens] == [("b", "舊鎮")]
