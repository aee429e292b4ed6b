"""Simulated homes: elders with routines, every device kind, incidents with ground truth.

Speaks only the wire contract (MQTT, HTTP) and imports nothing of ours but ``devices``.
The surface other parts call:

- ``simulate`` (``simulators.cli``): the ``tanfang simulate`` typer command.
- ``build_world(households, seed, start) -> World`` (``simulators.world``);
  ``World.homes_json()`` is the contract's homes.json.
- ``run_live(world, *, mqtt_url, topic_root, protocol, speed, stop, duration_s, start, …)
  -> RunStats`` (``simulators.live``): synchronous, blocks until done or ``stop`` is set.
- ``register_world(world, api_url, token) -> ImportReport`` (``simulators.register``):
  idempotent; the importer of ``tanfang import``
  (``simulators.homes_import.import_homes``) given the world's homes.json.
- ``replay(path, *, mqtt_url, topic_root, protocol, speed, stop, progress) -> int``
  (``simulators.replay``); ``simulators.replay_display`` is what ``--replay`` prints.
"""

from __future__ import annotations

from simulators.cli import simulate
from simulators.live import RunStats, run_live
from simulators.register import register_world
from simulators.replay import replay
from simulators.world import World, build_world

__all__ = ["RunStats", "World", "build_world", "register_world", "replay", "run_live", "simulate"]
