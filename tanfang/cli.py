"""The ``tanfang`` command."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Annotated

import psycopg
import typer
from pydantic import ValidationError

from gateway.mqtt import MqttError
from store.errors import StoreError
from tanfang.settings import Settings, SettingsError, get_settings, warn_at_start

app = typer.Typer(
    name="tanfang",
    help="Tanfang (探訪): home sensors and Ping An Tong buttons for elders who live alone.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
report_app = typer.Typer(help="Statistics for the civil-affairs bureau.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(report_app, name="report")


_EXPECTED = (MqttError, StoreError, SettingsError, psycopg.OperationalError)
_EXPECTED = (MqttError, StoreError, SettingsError, psycopg.OperationalError)
_NOISY_LOGGERS = ("amqtt", "transitions", "pgserver", "httpx", "gmqtt", "uvicorn.access")


def _setup_logging() -> None:
    level = os.environ.get("TANFANG_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # Libraries that narrate every connection and request at INFO drown what matters.
    for noisy in _NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))


def _settings(*required: str) -> Settings:
    try:
        settings = get_settings()
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
    warn_at_start(settings, gateway=gateway)
    try:
        asyncio.run(main())
    except BaseException as exc:
        found = _expected(exc)
        if found is None:
            raise
        typer.echo(f"tanfang: {_describe(found)}", err=True)
        raise typer.Exit(1) from None


def _expected(exc: BaseException) -> BaseException | None:
    """The error worth one line (a refused broker, an unusable database), also from within
    the task group's exception group."""
    if isinstance(exc, _EXPECTED):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = _expected(inner)
            if found is not None:
                return found
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, psycopg.Error):
        # Class and SQLSTATE only: a psycopg message can quote row values.
        return (
            f"cannot use the database ({type(exc).__name__}, SQLSTATE {exc.sqlstate});"
            " check TANFANG_DATABASE_URL and that the server is up"
        )
    return str(exc)


@app.command()
def serve() -> None:
    """Gateway and API in one process, against TANFANG_MQTT_URL and TANFANG_DATABASE_URL."""
    settings = _settings("mqtt_url", "database_url", "admin_token")
    _run_parts(settings, gateway=True, api=True)


@app.command()
def gateway() -> None:
    """The MQTT gateway alone (several may run side by side; see TANFANG_SHARED_GROUP)."""
    settings = _settings("mqtt_url", "database_url")
    _run_parts(settings, gateway=True, api=False)


@app.command()
def api() -> None:
    """The HTTP API alone."""
    settings = _settings("database_url", "admin_token")
    _run_parts(settings, gateway=False, api=True)


@app.command()
def demo(
    households: Annotated[int, typer.Option(min=1, max=2000, help="Simulated homes.")] = 30,
    speed: Annotated[float, typer.Option(min=0.1, help="Simulated time per wall second.")] = 60.0,
    duration: Annotated[
        float | None, typer.Option(min=1, help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated homes.")] = 7,
) -> None:
    """Everything on one machine with nothing installed: broker, database, gateway, API and
    simulated households; prints the URLs and the admin token."""
    from tanfang.demo import DemoOptions, run_demo

    _setup_logging()
    try:
        asyncio.run(run_demo(DemoOptions(households, speed, duration, seed)))
    except SettingsError as exc:
        typer.echo(f"tanfang: {exc}", err=True)
        raise typer.Exit(2) from exc
    except ValidationError as exc:  # a weak TANFANG_ADMIN_TOKEN, a bad port, …
        typer.echo(f"tanfang: bad setting: {exc}", err=True)
        raise typer.Exit(2) from exc


@db_app.command("migrate")
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
def report_monthly(
    month: Annotated[str, typer.Option(help="YYYY-MM")],
    town: Annotated[str | None, typer.Option()] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json, csv or xlsx")] = "table",
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="write to this file, not stdout")
    ] = None,
) -> None:
    """The monthly statistics table (探訪關愛服務情況統計表)."""
    from datetime import UTC, datetime
    from pathlib import Path

    from care import report
    from care.month import Month

    settings = _settings("database_url")
    assert settings.database_url is not None
    try:
        asked = Month.parse(month)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--month") from exc
    if fmt not in report.FORMATS:
        raise typer.BadParameter(f"one of {', '.join(report.FORMATS)}", param_hint="--format")
    today = datetime.now(UTC).astimezone(settings.tz).date()
    table = asyncio.run(
        report.report_from_url(settings.database_url, asked, town, today, settings.tz)
    )
    data = report.render(table, fmt)
    if output is not None:
        Path(output).write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def _mount_simulator() -> None:
    try:
        from simulators.cli import simulate
    except ImportError:

        @app.command("simulate")
        def simulate_missing() -> None:
            """Simulated households (not yet available)."""
            typer.echo("tanfang simulate: not yet available", err=True)
            raise typer.Exit(3)

        return
    app.command("simulate")(simulate)


_mount_simulator()


def _mount_import() -> None:
    from tanfang.import_command import import_homes_command

    app.command("import")(import_homes_command)


_mount_import()


def main() -> None:
    app()
