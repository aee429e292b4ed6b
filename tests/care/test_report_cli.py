"""``tanfang report monthly``: the table from the database, in every format."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from tanfang.cli import app
from tanfang.settings import get_settings


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TANFANG_DATABASE_URL", database_url)
    get_settings.cache_clear()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO elders (id, name, town, birth_date, created_at)"
            " VALUES ('A1', '王', '赤坎鎮', '1940-01-01', '2020-01-01')"
        )
        conn.execute(
            "INSERT INTO visits (elder_id, method, visited_at, visit_day, visitor)"
            " VALUES ('A1', 'in_home', '2026-05-04T02:00:00Z', '2026-05-04', 'x')"
        )
    yield
    get_settings.cache_clear()


def test_report_prints_json_with_the_months_figures(env: None) -> None:
    result = CliRunner().invoke(
        app, ["report", "monthly", "--month", "2026-05", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    assert '"monthly_visit_rate": 1.0' in result.output
    assert '"town": "赤坎鎮"' in result.output


def test_report_writes_csv_and_xlsx_files(env: None, tmp_path: Path) -> None:
    runner = CliRunner()
    csv_path, xlsx_path = tmp_path / "m.csv", tmp_path / "m.xlsx"
    args = ["report", "monthly", "--month", "2026-05", "--town", "赤坎鎮"]
    assert runner.invoke(app, [*args, "--format", "csv", "-o", str(csv_path)]).exit_code == 0
    assert csv_path.read_bytes().startswith("\ufeff鎮街".encode())
    assert runner.invoke(app, [*args, "--format", "xlsx", "-o", str(xlsx_path)]).exit_code == 0
    assert zipfile.is_zipfile(io.BytesIO(xlsx_path.read_bytes()))


def test_report_table_and_bad_month(env: None) -> None:
    runner = CliRunner()
    table = runner.invoke(app, ["report", "monthly", "--month", "2026-05"])
    assert table.exit_code == 0
    assert "月探訪率" in table.output
    assert runner.invoke(app, ["report", "monthly", "--month", "May"]).exit_code == 2


def test_report_takes_a_town_alias_and_refuses_an_unknown_town_with_close_matches(
    env: None,
) -> None:
    runner = CliRunner()
    args = ["report", "monthly", "--month", "2026-05", "--format", "json"]
    alias = runner.invoke(app, [*args, "--town", "赤坎镇 "])
    assert alias.exit_code == 0, alias.output
    assert '"town": "赤坎鎮"' in alias.output
    unknown = runner.invoke(app, [*args, "--town", "赤崁鎮"])
    assert unknown.exit_code == 2
    assert "赤坎鎮" in unknown.output


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1999-12"])
def test_report_of_a_month_outside_the_service_years_is_a_usage_error(
    env: None, month: str
) -> None:
    result = CliRunner().invoke(app, ["report", "monthly", "--month", month])
    assert result.exit_code == 2, result.output
    assert "--month" in result.output
