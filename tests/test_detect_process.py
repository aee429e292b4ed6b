"""The detection's child process (tanfang.detect_process): it competes for the lead while
its gateway runs and lets go of it when the gateway stops, by its stop or by being killed
(the pipe between them ends)."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Final

from psycopg import AsyncConnection

from gateway import slots_repo
from gateway.detect_leader import Leadership
from tanfang.detect_launch import run_detection
from tanfang.settings import Settings
from tests.gateway.helpers import poll

LEAD_KEY: Final = Leadership("unused").key
# A gateway process in miniature: nothing but its detection, until killed.
DETECTING_PARENT: Final = """
import asyncio, sys
from tanfang.detect_launch import run_detection
from tanfang.settings import Settings
settings = Settings(database_url=sys.argv[1], _env_file=None)
asyncio.run(run_detection(settings, asyncio.Event()))
"""


async def lead_is_free(url: str) -> bool:
    """True when this test could take the detection lock (then given back at once)."""
    async with await AsyncConnection.connect(url, autocommit=True) as conn:
        if not await slots_repo.try_claim(conn, LEAD_KEY, 0):
            return False
        await slots_repo.release(conn, LEAD_KEY, 0)
        return True


async def test_the_child_leads_while_its_gateway_runs_and_lets_go_when_it_stops(
    settings: Settings, database_url: str
) -> None:
    assert await lead_is_free(database_url)
    stop = asyncio.Event()
    detecting = asyncio.create_task(run_detection(settings, stop))
    try:
        await poll(lambda: lead_is_free(database_url), lambda free: not free, what="a leader")
        assert not detecting.done()
    finally:
        stop.set()
        await asyncio.wait_for(detecting, timeout=30)
    assert await lead_is_free(database_url)


async def test_a_killed_gateways_child_stops_and_frees_the_lead(database_url: str) -> None:
    parent = await asyncio.create_subprocess_exec(
        sys.executable, "-c", DETECTING_PARENT, database_url
    )
    try:
        await poll(lambda: lead_is_free(database_url), lambda free: not free, what="a leader")
        parent.send_signal(signal.SIGKILL)
        await parent.wait()
        # Only the child held it: the lock is free once the child saw its pipe end.
        await poll(lambda: lead_is_free(database_url), bool, what="the lead freed")
    finally:
        if parent.returncode is None:
            parent.kill()
            await parent.wait()
