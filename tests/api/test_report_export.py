"""The monthly report has one use case and one renderer: the API's download and the
``tanfang report monthly`` file are the same bytes, and both exports are audited."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from care.month import Month
from tanfang.cli import app
from tanfang.settings import get_settings
from tests.api.conftest import elder_body

API = "/api/v1"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TANFANG_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_env")
async def test_the_api_download_and_the_command_line_file_are_the_same_csv(
    client: httpx.AsyncClient, admin: dict[str, str], database_url: str, tmp_path: Path
) -> None:
    assert (await client.post(f"{API}/elders", json=elder_body("KP-1"), headers=admin)).is_success
    visit = {
        "elder_id": "KP-1",
        "method": "phone",
        "visitor": "李社工",
        "visited_at": datetime.now(TZ).isoformat(),
    }
    assert (await client.post(f"{API}/visits", json=visit, headers=admin)).is_success
    month = str(Month.of(datetime.now(TZ).date()))
    downloaded = await client.get(
        f"{API}/reports/monthly", params={"month": month, "format": "csv"}, headers=admin
    )
    assert downloaded.headers["content-disposition"] == (
        f'attachment; filename="tanfang-monthly-{month}.csv"'
    )
    written = tmp_path / "m.csv"
    args = ["report", "monthly", "--month", month, "--format", "csv", "-o", str(written)]
    # The command runs its own event loop (asyncio.run), so not on this test's.
    result = await asyncio.to_thread(CliRunner().invoke, app, args)
    assert result.exit_code == 0, result.output
    assert written.read_bytes() == downloaded.content
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        cur = await conn.execute(
            "SELECT actor, role, action, entity_id, detail FROM audit_log"
            " WHERE entity = 'report.monthly' ORDER BY id"
        )
        rows = await cur.fetchall()
    assert rows == [
        ("admin", "admin", "export", month, {"format": "csv"}),
        ("cli", "admin", "export", month, {"format": "csv"}),
    ]
