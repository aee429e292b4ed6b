"""What ``tanfang simulate --replay`` says: the recording's span, the pace and the expected
wall time first, a progress bar while it runs, and a summary line at the end.

A paced replay of weeks of recording at ``--speed 1`` takes weeks: the header says so
before the first message, so that a quiet run is never mistaken for a hung one.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Final

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulators.clock import TZ
from simulators.mqttio import MqttError
from simulators.replay import Recording, replay, scan

# Below this many seconds a duration reads best in seconds with a decimal.
_SECONDS_SHOWN: Final = 120.0


def human_duration(seconds: float) -> str:
    """``3.2 s``, ``11 min 12 s``, ``5 h 20 min``, ``28.0 days``."""
    if seconds < _SECONDS_SHOWN:
        return f"{seconds:.1f} s"
    if seconds >= 86_400.0:
        return f"{seconds / 86_400.0:.1f} days"
    if seconds >= 3600.0:
        return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, TZ).strftime("%Y-%m-%d %H:%M")


def header(path: Path, recording: Recording, speed: float | None) -> str:
    """One line: messages, span, pace and expected wall time."""
    span = (
        f"{_when(recording.first_ts)} → {_when(recording.last_ts)}"
        f" ({human_duration(recording.span_s)})"
    )
    wall = recording.wall_s(speed)
    if wall is None:
        pace = "as fast as the broker takes it (--speed 0)"
        expected = "as long as the broker takes"
    else:
        pace = f"×{speed:g} (1 s of wall time = {human_duration(speed or 0.0)} recorded)"
        expected = human_duration(wall)
    return (
        f"replaying {path}: {recording.messages} messages, {span}; pace {pace}; "
        f"expected wall time {expected}"
    )


def summary(sent: int, first_ts: float | None, reached: float | None, wall_s: float) -> str:
    span = 0.0 if first_ts is None or reached is None else max(reached - first_ts, 0.0)
    return (
        f"published {sent} messages, simulated span {human_duration(span)}, "
        f"wall time {human_duration(wall_s)}"
    )


def run_replay(
    path: Path, *, mqtt_url: str, topic_root: str, protocol: str, speed: float | None
) -> int:
    """Print the header, replay with a progress bar, print the summary; the count sent."""
    try:
        recording = scan(path)
    except (OSError, ValueError) as exc:
        typer.echo(f"tanfang simulate: cannot replay {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(header(path, recording, speed))
    reached: list[float | None] = [None]
    # On stderr and transient: stdout keeps the header and summary alone; and only on a
    # terminal (rich would still end with an empty line in CI logs and pipes).
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("replay"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("messages, at {task.fields[at]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )
    task = bar.add_task("replay", total=recording.messages, at=_when(recording.first_ts))

    def advance(sent: int, ts: float | None) -> None:
        reached[0] = ts
        bar.update(task, completed=sent, at=_when(ts))

    wall0 = time.monotonic()
    try:
        with bar:
            sent = replay(
                path,
                mqtt_url=mqtt_url,
                topic_root=topic_root,
                protocol=protocol,
                speed=speed,
                progress=advance,
            )
    except MqttError as exc:
        typer.echo(f"tanfang simulate: {exc}; check --mqtt-url (or TANFANG_MQTT_URL)", err=True)
        raise typer.Exit(1) from None
    typer.echo(summary(sent, recording.first_ts, reached[0], time.monotonic() - wall0))
    return sent
