"""The ``tanfang`` command."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Final, TypeVar

import typer
from pydantic import ValidationError

from care.audit import Actor
from tanfang.failure import needs_extra, one_line_errors, settings_problems
from tanfang.logs import setup_logging as _setup_logging
from tanfang.settings import Settings, get_settings, warn_at_start

if TYPE_CHECKING:
    from alerting.kpi import AlertKpis
    from care.month import Month
    from care.report import MonthlyReport
    from store.db import Conn

T = TypeVar("T")

# The actor of an export from the command line in the audit log: whoever holds the URL.
CLI_ACTOR: Final = Actor("cli", "admin")

app = typer.Typer(
    name="tanfang",
    help="Tanfang (探訪): home sensors and Ping An Tong buttons for elders who live alone.",
    no_args_is_help=True,
    add_completion=False,
    # A failing command says one line (tanfang.failure); never a rich traceback.
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
report_app = typer.Typer(help="Statistics for the civil-affairs bureau.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(report_app, name="report")


# What `tanfang demo` and `tanfang simulate` import of their optional extras
# (pyproject.toml [project.optional-dependencies]); the production image has neither.
DEMO_MODULES: Final = ("amqtt", "pgserver", "paho")
SIM_MODULES: Final = ("paho", "matplotlib")


@app.callback()
def _options(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log at DEBUG, with the traceback of a failure.")
    ] = False,
) -> None:
    # What the simulator may not import (it speaks only the wire contract): who the
    # gateway prompts to check in, for a file run to play the prompts (simulators.prompts).
    ctx.obj = {"prompt_rule": _prompt_rule}
    if debug:
        os.environ["TANFANG_LOG_LEVEL"] = "DEBUG"
        _setup_logging()


def _prompt_rule(elder: Mapping[str, Any], on: date) -> bool:
    from tanfang.eval_prompts import prompted

    return prompted(elder, on)


def _settings(*required: str) -> Settings:
    try:
        settings = get_settings()
    except ValidationError as exc:
        typer.echo(f"tanfang: bad setting: {settings_problems(exc)}", err=True)
        raise typer.Exit(2) from exc
    except ValueError as exc:
        typer.echo(f"tanfang: bad setting: {exc}", err=True)
        raise typer.Exit(2) from exc
    missing = [name for name in required if not getattr(settings, name)]
    if missing:
        names = ", ".join("TANFANG_" + name.upper() for name in missing)
        typer.echo(
            f"tanfang: missing required settings: {names} (see docs/configuration.md)", err=True
        )
        raise typer.Exit(2)
    return settings


def _run_parts(settings: Settings, *, gateway: bool, api: bool) -> None:
    from tanfang import runtime

    async def main() -> None:
        stop = asyncio.Event()
        runtime.install_stop_signals(stop)
        await runtime.run(settings, gateway=gateway, api=api, stop=stop)

    _setup_logging()
    warn_at_start(settings)
    asyncio.run(main())


@app.command()
@one_line_errors
def serve() -> None:
    """Gateway and API in one process, against TANFANG_MQTT_URL and TANFANG_DATABASE_URL."""
    settings = _settings("mqtt_url", "database_url", "admin_token")
    _run_parts(settings, gateway=True, api=True)


@app.command()
@one_line_errors
def gateway() -> None:
    """The MQTT gateway alone (several may run side by side; see TANFANG_SHARED_GROUP)."""
    settings = _settings("mqtt_url", "database_url")
    _run_parts(settings, gateway=True, api=False)


@app.command()
@one_line_errors
def api() -> None:
    """The HTTP API alone."""
    settings = _settings("database_url", "admin_token")
    _run_parts(settings, gateway=False, api=True)


@app.command()
@one_line_errors
@needs_extra("the demo", "demo", DEMO_MODULES)
def demo(
    households: Annotated[int, typer.Option(min=1, max=2000, help="Simulated homes.")] = 30,
    speed: Annotated[float, typer.Option(min=0.1, help="Simulated time per wall second.")] = 60.0,
    duration: Annotated[
        float | None, typer.Option(min=1, help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated homes.")] = 7,
) -> None:
    """Everything on one machine, no services to install: broker, database, gateway, API and
    simulated households; prints the URLs and the admin token (needs the 'demo' extra)."""
    from tanfang.demo import DemoOptions, run_demo

    _setup_logging()
    asyncio.run(run_demo(DemoOptions(households, speed, duration, seed)))


@db_app.command("migrate")
@one_line_errors
def db_migrate() -> None:
    """Bring the database schema up to date."""
    from store.migrate import migrate_url

    settings = _settings("database_url")
    assert settings.database_url is not None
    _setup_logging()
    applied = asyncio.run(migrate_url(settings.database_url))
    typer.echo(
        "applied migrations: " + ", ".join(f"{v:04d}" for v in applied)
        if applied
        else "schema is up to date"
    )


@report_app.command("monthly")
@one_line_errors
def report_monthly(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    town: Annotated[str | None, typer.Option()] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or xlsx")] = "table",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="write to this file, not stdout")
    ] = None,
) -> None:
    """The monthly statistics table (探訪關愛服務情況統計表)."""
    from care import report, visit_services

    settings, asked, today = _report_month(month)
    _check_format(fmt, report.FORMATS)

    async def work(conn: Conn) -> MonthlyReport:
        return await visit_services.monthly_report(
            conn, CLI_ACTOR, asked, town, today=today, tz=settings.tz, fmt=fmt
        )

    _write_report(report.render(_run_report(settings, work), fmt), output)


@report_app.command("alerts")
@one_line_errors
def report_alerts(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    town: Annotated[str | None, typer.Option()] = None,
    fmt: Annotated[str, typer.Option("--format", help="json, csv or xlsx")] = "json",
    output: Annotated[
        str | None,
        typer.Option("--out", "--output", "-o", help="write to this file, not stdout"),
    ] = None,
) -> None:
    """The alerts' response times per severity beside the telecare targets
    (告警響應時間統計表): the same figures as GET /reports/alerts."""
    from alerting import kpi_export, kpi_services

    settings, asked, _ = _report_month(month)
    _check_format(fmt, kpi_export.FORMATS)

    async def work(conn: Conn) -> AlertKpis:
        return await kpi_services.alert_kpis(conn, CLI_ACTOR, asked, town, tz=settings.tz, fmt=fmt)

    _write_report(kpi_export.render(_run_report(settings, work), fmt), output)


def _report_month(month: str) -> tuple[Settings, Month, date]:
    """The settings, the ``--month`` asked (a usage error when it is no month of the
    service) and today in TANFANG_TIMEZONE."""
    from datetime import UTC, datetime

    from care.month import Month

    settings = _settings("database_url")
    today = datetime.now(UTC).astimezone(settings.tz).date()
    try:
        return settings, Month.asked(month, today), today
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from exc


def _check_format(fmt: str, formats: tuple[str, ...]) -> None:
    if fmt not in formats:
        raise typer.BadParameter(f"one of {', '.join(formats)}", param_hint="--format")


def _run_report(settings: Settings, work: Callable[[Conn], Awaitable[T]]) -> T:
    """A report's use case (the one its API route calls) on one connection of its own, in
    one transaction; the audit log names the export's actor ``cli`` (whoever holds the
    database URL). An unknown town is a usage error with its close matches."""
    from psycopg import AsyncConnection

    from care.errors import InvalidFieldError

    assert settings.database_url is not None
    url = settings.database_url

    async def run() -> T:
        async with await AsyncConnection.connect(url) as conn:
            await conn.execute("SET TIME ZONE 'UTC'")
            return await work(conn)

    try:
        return asyncio.run(run())
    except InvalidFieldError as exc:  # an unknown town, with its close matches
        raise typer.BadParameter(str(exc), param_hint="--town") from exc


def _write_report(data: bytes, output: str | None) -> None:
    from pathlib import Path

    if output is not None:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _mount_simulator() -> None:
    # simulators.cli imports only typer at the top; what a run needs, it imports when run.
    from simulators.cli import simulate

    wrapped = needs_extra("the simulator", "sim", SIM_MODULES)(simulate)
    app.command("simulate")(one_line_errors(wrapped))


_mount_simulator()


def _mount_import() -> None:
    from tanfang.import_command import import_homes_command

    app.command("import")(one_line_errors(import_homes_command))


_mount_import()


def _mount_evaluate() -> None:
    from tanfang.evaluate import evaluate_command

    app.command("evaluate")(one_line_errors(evaluate_command))


_mount_evaluate()


def main() -> None:
    app()
