"""Simulated homes: elders with routines, every device kind, incidents with ground truth.

Speaks only the wire contract (MQTT, HTTP) and imports nothing of ours but
``devices.schema`` and ``devices.kinds``. Importing the package imports nothing: import
what you use from its modules (the live and plotting ones need the ``sim`` extra):

- ``simulators.cli.simulate``: the ``tanfang simulate`` typer command (a file run plays the
  check-in prompts to whom ``ctx.obj["prompt_rule"]`` names: ``simulators.prompts``).
- ``simulators.world.build_world(households, seed, start) -> World``;
  ``World.homes_json()`` is the contract's homes.json.
- ``simulators.live.run_live(world, *, mqtt_url, topic_root, protocol, speed, stop,
  duration_s, start, …) -> RunStats``: synchronous, blocks until done or ``stop`` is set.
- ``simulators.register.register_world(world, api_url, token) -> ImportReport``:
  idempotent; the importer of ``tanfang import`` (``simulators.homes_import.import_homes``)
  given the world's homes.json.
- ``simulators.replay.replay(path, *, mqtt_url, topic_root, protocol, speed, stop,
  progress) -> int``; ``simulators.replay_display`` is what ``--replay`` prints.
"""
