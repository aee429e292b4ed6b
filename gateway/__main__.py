"""``python -m gateway``: the same gateway as ``tanfang gateway`` (``tanfang.runtime.run``
with the gateway part: check-ins made online visits, check-in prompts), from the
environment's settings until SIGTERM/SIGINT. The kill -9 test and the benchmark start it."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import psycopg
from pydantic import ValidationError

from gateway.mqtt import MqttError
from store.errors import StoreError
from tanfang import runtime
from tanfang.settings import Settings, SettingsError

_EXPECTED = (MqttError, StoreError, SettingsError, psycopg.OperationalError)


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    runtime.install_stop_signals(stop)
    await runtime.run(settings, gateway=True, api=False, stop=stop)


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


def main() -> int:
    logging.basicConfig(
        level=os.environ.get("TANFANG_LOG_LEVEL", "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"gateway: invalid settings: {exc}", file=sys.stderr)
        return 2
    missing = [
        name
        for name, value in (
            ("TANFANG_MQTT_URL", settings.mqtt_url),
            ("TANFANG_DATABASE_URL", settings.database_url),
        )
        if not value
    ]
    if missing:
        print(f"gateway: set {' and '.join(missing)} (see docs/ingest.md)", file=sys.stderr)
        return 2
    try:
        asyncio.run(_main(settings))
    except BaseException as exc:
        found = _expected(exc)
        if found is None:
            raise
        print(f"gateway: {_describe(found)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
