"""``python -m gateway``: one gateway from the environment's settings until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from pydantic import ValidationError

from gateway.mqtt import MqttError
from gateway.service import Gateway
from store.errors import StoreError
from tanfang.settings import Settings


async def _main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await Gateway(settings).run(stop)


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
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
    except (MqttError, StoreError) as exc:
        print(f"gateway: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
