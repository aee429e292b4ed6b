"""``GET /reports/alerts`` and ``tanfang report alerts``: the hand-built month's figures
(tests/alerting/kpi_month.py) in JSON, in a CSV and an XLSX that read back to the same
numbers, and from the command line; who may ask, and a bad month named."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tanfang.cli import app
from tanfang.settings import get_settings
from tests.alerting.kpi_month import (
    CHIKAN,
    EXPECTED_ALL,
    EXPECTED_CHIKAN,
    MONTH,
    SHUIKOU,
    build_month,
)
from tests.api.conftest import TokenMaker, assert_refused_at, bearer

API = "/api/v1"
REPORT = f"{API}/reports/alerts"
SEVERITIES = ("critical", "high", "low", "all")
MET = {True: "達標", False: "未達標"}


@pytest.fixture
async def month(database_url: str) -> None:
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        await build_month(conn)


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TANFANG_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def by_severity(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = [*body["severities"], body["overall"]]
    return {row["severity"]: row for row in rows}


def assert_expected(body: dict[str, Any], expected: dict[str, dict[str, Any]]) -> None:
    got = by_severity(body)
    for severity, figures in expected.items():
        assert {key: got[severity][key] for key in figures} == figures, severity


def assert_table_matches(table: list[list[Any]], body: dict[str, Any], *, text: bool) -> None:
    """The table's rows per severity hold the JSON's figures: counts and seconds as numbers
    (as text in a CSV), shares as percentages, targets as 達標 / 未達標, none as —."""
    keys = [column["key"] for column in body["columns"]]
    assert table[0] == [column["title"] for column in body["columns"]]
    for row, (severity, figures) in zip(table[1:5], by_severity(body).items(), strict=True):
        for key, cell in zip(keys[1:], row[1:], strict=True):
            value = figures[key]
            if value is None:
                assert cell == "—", (severity, key)
            elif key.endswith("_share"):
                assert cell == f"{value * 100:.2f}%", (severity, key)
            elif key.endswith("_met"):
                assert cell == MET[value], (severity, key)
            else:
                assert (float(cell) if text else cell) == value, (severity, key)


@pytest.mark.usefixtures("month")
async def test_the_json_holds_the_hand_worked_figures_beside_the_targets(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    response = await client.get(REPORT, params={"month": MONTH}, headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_expected(body, EXPECTED_ALL)
    assert body["share_denominator"] == "every alert of the severity opened in the month"
    assert [(t["within_s"], t["share"]) for t in body["targets"]] == [
        (60, 0.975),
        (180, 0.99),
        (60, 0.985),
    ]
    assert (body["from"], body["to"]) == ("2026-03-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00")
    town = await client.get(REPORT, params={"month": MONTH, "town": CHIKAN}, headers=admin)
    assert_expected(town.json(), EXPECTED_CHIKAN)


@pytest.mark.usefixtures("month")
async def test_the_csv_and_the_xlsx_read_back_to_the_same_numbers(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    body = (await client.get(REPORT, params={"month": MONTH}, headers=admin)).json()
    got = await client.get(REPORT, params={"month": MONTH, "format": "csv"}, headers=admin)
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.headers["content-disposition"] == (
        f'attachment; filename="tanfang-alerts-{MONTH}.csv"'
    )
    assert got.content.startswith("\ufeff告警級別".encode())
    table = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert_table_matches(table, body, text=True)
    assert table[1][0] == "緊急"
    assert "分母" in table[5][0]

    got = await client.get(REPORT, params={"month": MONTH, "format": "xlsx"}, headers=admin)
    sheet = load_workbook(io.BytesIO(got.content)).active
    assert sheet is not None
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == f"告警響應時間統計表（{MONTH}，全部鎮街，Asia/Shanghai）"
    assert_table_matches(rows[1:], body, text=False)


@pytest.mark.usefixtures("month")
async def test_town_staff_get_their_own_town_and_viewers_and_operators_every_town(
    client: httpx.AsyncClient, make_token: TokenMaker
) -> None:
    staff = bearer(await make_token("town_staff", town=SHUIKOU))
    own = (await client.get(REPORT, params={"month": MONTH}, headers=staff)).json()
    assert (own["town"], own["overall"]["alerts"]) == (SHUIKOU, 41)
    other = await client.get(REPORT, params={"month": MONTH, "town": CHIKAN}, headers=staff)
    assert other.status_code == 403
    for role in ("viewer", "operator"):
        headers = bearer(await make_token(role))
        body = (await client.get(REPORT, params={"month": MONTH}, headers=headers)).json()
        assert body["overall"]["alerts"] == EXPECTED_ALL["all"]["alerts"], role
    assert (await client.get(REPORT)).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "2026-13"}, "month"),
        ({"month": "March"}, "month"),
        ({"month": "1999-12"}, "month"),
        ({"month": MONTH, "format": "pdf"}, "format"),
        ({"month": MONTH, "town": "無此鎮"}, "town"),
    ],
)
async def test_a_bad_query_is_refused_naming_its_field(
    client: httpx.AsyncClient, admin: dict[str, str], params: dict[str, str], field: str
) -> None:
    assert_refused_at(await client.get(REPORT, params=params, headers=admin), "query", field)


@pytest.mark.usefixtures("month", "cli_env")
async def test_the_command_prints_the_same_json_and_writes_the_same_csv(
    client: httpx.AsyncClient, admin: dict[str, str], tmp_path: Path
) -> None:
    runner = CliRunner()
    args = ["report", "alerts", "--month", MONTH]
    # The command runs its own event loop (asyncio.run), so not on this test's.
    printed = await asyncio.to_thread(runner.invoke, app, args)
    assert printed.exit_code == 0, printed.output
    body = json.loads(printed.stdout)
    assert_expected(body, EXPECTED_ALL)
    api = (await client.get(REPORT, params={"month": MONTH}, headers=admin)).json()
    assert (body["severities"], body["overall"]) == (api["severities"], api["overall"])

    out = tmp_path / "alerts.csv"
    written = [*args, "--town", CHIKAN, "--format", "csv", "--out", str(out)]
    assert (await asyncio.to_thread(runner.invoke, app, written)).exit_code == 0
    params = {"month": MONTH, "town": CHIKAN, "format": "csv"}
    downloaded = await client.get(REPORT, params=params, headers=admin)
    assert out.read_bytes() == downloaded.content


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--month", "2026-3"], "--month"),
        (["--month", MONTH, "--format", "table"], "--format"),
        (["--month", MONTH, "--town", "無此鎮"], "--town"),
    ],
)
def test_the_command_refuses_bad_options_as_usage_errors(args: list[str], named: str) -> None:
    result = CliRunner().invoke(app, ["report", "alerts", *args])
    assert result.exit_code == 2, result.output
    assert named in result.output
