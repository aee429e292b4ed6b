"""Waiting for the first of several things in a long-running loop (a stop event, a wake-up,
a readiness event), with an optional time limit."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any


async def first_of(*waits: Coroutine[Any, Any, object], limit_s: float | None = None) -> None:
    """Until the first of ``waits`` ends, or ``limit_s`` seconds pass; the others are
    cancelled. A failing task of an enclosing task group cancels this wait as usual."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, timeout=limit_s, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
