"""Every world the simulators can make is valid to the API: registered through a real API
server (real HTTP, real database) exactly as ``tanfang demo`` registers it, nothing is
refused. The demo once failed at start on every machine because one simulated elder of
its default world refused visits without the reason the API rightly requires."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from simulators.cli import simulate
from simulators.register import register_world
from simulators.world import build_world
from tanfang.demo import DemoOptions
from tanfang.settings import Settings
from tests.simulators.api_server import serving_api

SEEDS = range(20)
# `tanfang simulate`'s own default number of homes, as a newcomer gets it.
SIMULATE_HOMES: int = inspect.signature(simulate).parameters["households"].default


@pytest.fixture
def api_url(settings: Settings) -> Iterator[str]:
    with serving_api(settings) as url:
        yield url


def _count(client: httpx.Client, path: str) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, str | int] = {"limit": 200}
        if cursor:
            params["cursor"] = cursor
        page = client.get(path, params=params).json()
        total += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            return total


def test_the_worlds_of_twenty_seeds_and_the_demos_own_are_all_accepted_by_the_api(
    api_url: str, admin_token: str
) -> None:
    today = datetime.now(UTC)
    demo = DemoOptions()
    # Home i of a seed is the same in every world size, so the demo's world (its seed, its
    # 30 homes) holds the first homes of that seed's smaller world: register it first.
    worlds = [build_world(demo.households, demo.seed, today)]
    worlds += [build_world(SIMULATE_HOMES, s, today) for s in SEEDS if s != demo.seed]
    refusals = sum(not h.elder["visit_consent"] for w in worlds for h in w.homes)
    assert refusals > 0, "the sweep must include elders who refuse visits"
    for world in worlds:
        # Raises RegisterError naming the refused fields at the first refusal.
        register_world(world, api_url, admin_token)
    headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=f"{api_url}/api/v1", headers=headers, timeout=30) as client:
        assert _count(client, "/elders") == sum(len(w.homes) for w in worlds)
        assert _count(client, "/devices") == sum(len(w.devices) for w in worlds)
        refused = next(h for w in worlds for h in w.homes if not h.elder["visit_consent"])
        stored = client.get(f"/elders/{refused.elder_id}").json()
        assert stored["visit_consent"] is False
        assert stored["refusal_reason"] == refused.elder["refusal_reason"]
        assert stored["refusal_date"] == refused.elder["refusal_date"]
