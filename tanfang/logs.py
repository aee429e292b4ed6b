"""Logging as every ``tanfang`` process sets it up: one line per record on stderr, at
``TANFANG_LOG_LEVEL`` (INFO by default)."""

from __future__ import annotations

import logging
import os
import sys
from typing import Final

# Libraries that narrate every connection and request at INFO drown what matters.
NOISY_LOGGERS: Final = ("amqtt", "transitions", "pgserver", "httpx", "gmqtt", "uvicorn.access")


def setup_logging() -> None:
    level = os.environ.get("TANFANG_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
