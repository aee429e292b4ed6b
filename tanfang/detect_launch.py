"""The detection child, from the gateway's side: the settings handed over its stdin, the
child started again whenever it ends, stopped by closing the pipe (tanfang.detect_process
is the child's side)."""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import replace
from typing import Final

import orjson

from store.pause import pause
from tanfang.settings import Settings

log = logging.getLogger(__name__)

# A detection process that ended by itself (a crash, its database never came) is started
# again after this long; a gateway never runs without detection for longer.
DETECTION_RESTART_S: Final = 5.0
# On stop, the detection process is given this long to release the lead, then killed.
DETECTION_STOP_S: Final = 10.0


async def run_detection(settings: Settings, stop: asyncio.Event) -> None:
    """Compete to lead the detectors and, while leading, sweep every home every
    ``TANFANG_DETECT_INTERVAL_S``, in a child process (tanfang.detect_process: never in
    the interpreter that ingests), started again whenever it ends, until ``stop``."""
    from gateway.detection import DetectConfig
    from gateway.detectors.localtime import utc_offset_s

    assert settings.database_url is not None
    config = DetectConfig(
        zone=settings.timezone,
        offset_s=utc_offset_s(settings.timezone),
        interval_s=settings.detect_interval_s,
        clock=settings.detect_clock or "",
    )
    if settings.detect_clock:
        from gateway.detect_clock import parse_clock

        log.warning(
            "detection runs on %s, not the wall clock",
            parse_clock(settings.detect_clock).describe(),
        )
    if settings.detect_off_types is not None:
        config = replace(config, off=settings.detect_off_types)
    order = orjson.dumps({"database_url": settings.database_url, "config": config})
    while not stop.is_set():
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tanfang.detect_process", stdin=asyncio.subprocess.PIPE
        )
        assert child.stdin is not None
        child.stdin.write(order + b"\n")
        ended = asyncio.ensure_future(child.wait())
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait((ended, stopping), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not ended.done():
                child.stdin.close()  # its end of the pipe: the child stops
                try:
                    await asyncio.wait({ended}, timeout=DETECTION_STOP_S)
                finally:
                    if not ended.done():
                        child.kill()
        if not stop.is_set():
            log.error(
                "the detection process ended (exit code %s); starting it again in %.0f s",
                child.returncode,
                DETECTION_RESTART_S,
            )
            await pause(stop, DETECTION_RESTART_S)
