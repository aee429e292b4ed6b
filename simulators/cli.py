"""``tanfang simulate``: simulated households, live to a broker or as fast as possible to
files. The composition root mounts it with ``app.command("simulate")(simulate)``."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from simulators.clock import TZ, midnight, parse_duration, to_epoch

if TYPE_CHECKING:
    from simulators.incidents import Forced
    from simulators.prompts import PromptRule
    from simulators.world import World

log = logging.getLogger(__name__)

_DEMO_BROKER = "mqtt://127.0.0.1:1883"


def simulate(  # noqa: PLR0917 - typer maps each option to a parameter
    ctx: typer.Context,
    households: Annotated[int, typer.Option(help="How many homes.", min=1)] = 10,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall-clock second.")] = 1.0,
    duration: Annotated[
        str | None,
        typer.Option(
            help="Wall-clock run time: 20s, 5m, 2h, 7d or seconds (simulated = D × speed)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same homes and same events.")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Write events.jsonl here; no broker needed.")
    ] = None,
    homes: Annotated[
        Path | None, typer.Option(help="Write homes.json (elders, devices, contacts).")
    ] = None,
    truth: Annotated[
        Path | None, typer.Option(help="Write truth.jsonl (what really happened).")
    ] = None,
    replay: Annotated[
        Path | None, typer.Option(help="Publish a recorded events.jsonl instead.")
    ] = None,
    register: Annotated[
        bool, typer.Option(help="Create elders and devices through the API first.")
    ] = False,
    api_url: Annotated[
        str | None, typer.Option(envvar="TANFANG_API_URL", help="API base URL.")
    ] = None,
    token: Annotated[
        str | None, typer.Option(envvar="TANFANG_ADMIN_TOKEN", help="API token.")
    ] = None,
    mqtt_url: Annotated[
        str | None, typer.Option(envvar="TANFANG_MQTT_URL", help="Broker URL.")
    ] = None,
    protocol: Annotated[
        str, typer.Option(envvar="TANFANG_MQTT_PROTOCOL", help="5 or 3.1.1.")
    ] = "5",
    topic_root: Annotated[
        str, typer.Option(envvar="TANFANG_TOPIC_ROOT", help="Topic prefix.")
    ] = "tanfang/v1",
    start: Annotated[
        str | None, typer.Option(help="Simulated start, ISO 8601 (files: today 00:00; live: now).")
    ] = None,
    incident_rate: Annotated[float, typer.Option(help="Multiply every incident rate.")] = 1.0,
    scenario: Annotated[
        Path | None, typer.Option(help="Incidents to inject (JSON / JSON lines).")
    ] = None,
    connections: Annotated[
        str, typer.Option(help="auto, device (one per device) or shared.")
    ] = "auto",
    plot: Annotated[
        Path | None, typer.Option(help="Draw a week of one home as a PNG and exit.")
    ] = None,
    plot_home: Annotated[int, typer.Option(help="Which home --plot draws.")] = 0,
) -> None:
    """Simulated households: live to the broker, or with --out as fast as they generate.

    A file run plays the gateway's check-in prompts to the elders the composition root's
    ``ctx.obj["prompt_rule"]`` names (``simulators.prompts``); without one, none."""
    # The simulation's modules are imported here, not at the top: mounting the command (every
    # `tanfang` start, `tanfang --help` included) then costs only typer.
    from simulators.files import write_homes
    from simulators.scenario import load_scenario
    from simulators.world import build_world

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if protocol not in ("5", "3.1.1"):
        raise typer.BadParameter("--protocol must be 5 or 3.1.1")
    wall_s = _duration(duration)
    if replay is not None:
        from simulators.replay_display import run_replay

        run_replay(
            replay,
            mqtt_url=mqtt_url or _DEMO_BROKER,
            topic_root=topic_root,
            protocol=protocol,
            speed=speed if speed > 0 else None,
        )
        return
    begin = _start(start, live=out is None and plot is None)
    homes_made = households if plot is None else max(households, plot_home + 1)
    world = build_world(homes_made, seed, datetime.fromtimestamp(begin, TZ))
    try:
        forced = load_scenario(scenario, world, begin) if scenario is not None else []
    except ValueError as exc:  # a bad item, or not JSON: the file is the user's
        raise typer.BadParameter(str(exc), param_hint="--scenario") from None
    if plot is not None:
        from simulators.plot import plot_week

        plot_week(world, plot_home, begin, plot, incident_rate=incident_rate, forced=forced)
        typer.echo(f"wrote {plot}")
        return
    if homes is not None:
        write_homes(world, homes)
    if register:
        _register(world, api_url, token)
    if out is not None:
        span = (wall_s if wall_s is not None else 86_400.0) * speed
        rule = ctx.obj.get("prompt_rule") if isinstance(ctx.obj, dict) else None
        absences, watch = _to_files(
            world, begin, span, out, truth=truth, rate=incident_rate, forced=forced, rule=rule
        )
        if homes is not None:  # again, with the absences and watch periods declared meanwhile
            write_homes(world, homes, absences, watch)
        return
    live = _Live(
        url=mqtt_url or _DEMO_BROKER,
        protocol=protocol,
        root=topic_root,
        speed=speed,
        wall_s=wall_s,
        rate=incident_rate,
        connections=connections,
    )
    _live(world, begin, live, forced, truth)


def _duration(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--duration") from exc


def _start(text: str | None, *, live: bool) -> float:
    if text is not None:
        try:
            return round(to_epoch(datetime.fromisoformat(text)), 3)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--start") from exc
    return round(time.time(), 3) if live else midnight(time.time())


def _register(world: World, api_url: str | None, token: str | None) -> None:
    from simulators.api_client import ApiError
    from simulators.register import RegisterError, register_world

    if not api_url or not token:
        raise typer.BadParameter(
            "--register needs --api-url and --token (or TANFANG_API_URL, TANFANG_ADMIN_TOKEN)"
        )
    try:
        register_world(world, api_url, token)
    except (ApiError, RegisterError) as exc:
        typer.echo(f"tanfang simulate: registration failed: {exc}", err=True)
        raise typer.Exit(1) from None


def _to_files(
    world: World,
    begin: float,
    span: float,
    out: Path,
    *,
    truth: Path | None,
    rate: float,
    forced: list[Forced],
    rule: PromptRule | None = None,
) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Events and truth into their files; returns the absences and the heightened-watch
    periods declared meanwhile."""
    from simulators.files import write_stream
    from simulators.generator import Generator
    from simulators.prompts import Prompter

    prompter = Prompter(rule, since=begin) if rule is not None else None
    generator = Generator(
        world, begin, begin + span, incident_rate=rate, forced=forced, prompter=prompter
    )
    t0 = time.perf_counter()
    with out.open("w", encoding="utf-8") as events:
        handle = truth.open("w", encoding="utf-8") if truth is not None else None
        try:
            stats = write_stream(world, generator, events, handle)
        finally:
            if handle is not None:
                handle.close()
    elapsed = time.perf_counter() - t0
    days = span / 86400
    typer.echo(
        f"{stats.messages} messages ({stats.events} events), {stats.incidents} truth lines, "
        f"{days:.2f} simulated days in {elapsed:.1f} s"
    )
    if prompter is not None and prompter.prompts:
        typer.echo(f"{prompter.prompts} check-in prompts, {prompter.answered} answered")
    return generator.absences, prompter.watch if prompter is not None else []


@dataclass(frozen=True, slots=True)
class _Live:
    """How a live run publishes: the broker, its protocol and topic root, and the pace."""

    url: str
    protocol: str
    root: str
    speed: float
    wall_s: float | None
    rate: float
    connections: str


def _live(
    world: World, begin: float, live: _Live, forced: list[Forced], truth: Path | None
) -> None:
    from simulators.live import run_live

    stop = threading.Event()
    handle = truth.open("w", encoding="utf-8") if truth is not None else None
    try:
        stats = run_live(
            world,
            mqtt_url=live.url,
            topic_root=live.root,
            protocol=live.protocol,
            speed=live.speed,
            stop=stop,
            duration_s=live.wall_s,
            start=datetime.fromtimestamp(begin, TZ),
            incident_rate=live.rate,
            forced=forced,
            connections=live.connections,
            truth=handle,
        )
    except KeyboardInterrupt:
        stop.set()
        sys.exit(130)
    finally:
        if handle is not None:
            handle.close()
    typer.echo(
        f"published {stats.published} messages ({stats.events} events) over "
        f"{stats.connections} connections in {stats.wall_s:.1f} s; "
        f"answered {stats.answered} of {stats.prompts} check-in prompts"
    )


def main() -> None:  # pragma: no cover - `python -m simulators.cli`
    app = typer.Typer()
    app.command("simulate")(simulate)
    app()


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
