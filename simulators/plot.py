"""A week of one home as a PNG: one strip per day, one lane per room or device.

``python -m simulators.plot --home 0 --seed 1 --out docs/img/week.png`` or
``tanfang simulate --plot FILE``. Drawn from the very rows the simulator publishes.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from simulators import codes
from simulators.clock import DAY, TZ, day_start, local_date, parse_iso_or_epoch
from simulators.generator import Generator
from simulators.world import World, build_world

LANES = (
    ("pir:bedroom", "bedroom motion", "tab:blue"),
    ("bed", "in bed", "tab:purple"),
    ("pir:bathroom", "bathroom motion", "tab:cyan"),
    ("water", "water (L)", "tab:blue"),
    ("pir:kitchen", "kitchen motion", "tab:orange"),
    ("plug:kettle", "kettle / cooker", "tab:red"),
    ("pir:living_room", "living room motion", "tab:green"),
    ("plug:tv", "TV", "tab:olive"),
    ("pir:entrance", "entrance motion", "tab:brown"),
    ("door", "entrance door", "tab:brown"),
    ("sos", "Ping An Tong", "tab:red"),
    ("env", "indoor °C", "tab:gray"),
)


def plot_week(world: World, home: int, start: float, path: Path, days: int = 7, **kw: Any) -> None:
    """Draw ``days`` plan days of household ``home`` from ``start`` into ``path``."""
    first = day_start(start)
    gen = Generator(world, first, first + days * DAY, **kw)
    roles = world.homes[home].roles
    lanes = [lane for lane in LANES if lane[0] in roles]
    fig, axes = plt.subplots(days, 1, figsize=(14, 1.9 + 0.28 * len(lanes) * days), sharex=True)
    axes = np.atleast_1d(axes)
    truth: list[dict[str, Any]] = []
    for ax, chunk in zip(axes, gen.chunks(), strict=False):
        mine = np.isin(chunk.dev, list(roles.values()))
        t, dev, code, value = chunk.t[mine], chunk.dev[mine], chunk.code[mine], chunk.value[mine]
        x = (t - day_start(chunk.end - 1)) / 3600.0
        for row, (role, _, colour) in enumerate(lanes):
            _lane(ax, len(lanes) - 1 - row, x, dev == roles[role], code, value, role, colour)
        truth += [r for r in chunk.truth if r["elder_id"] == world.homes[home].elder_id]
        _incidents(ax, truth, day_start(chunk.end - 1), len(lanes))
        day = local_date(day_start(chunk.end - 1) + 3600)
        ax.set_ylabel(day.strftime("%a\n%m-%d"), rotation=0, ha="right", va="center", fontsize=9)
        ax.set_yticks(range(len(lanes)), [lane[1] for lane in reversed(lanes)], fontsize=6)
        ax.set_ylim(-0.6, len(lanes) - 0.4)
        ax.set_xlim(0, 24)
        ax.grid(axis="x", color="0.85", linewidth=0.5)
    ticks = list(range(0, 25, 2))
    axes[-1].set_xticks(ticks, [f"{(h + 3) % 24:02d}:00" for h in ticks], fontsize=8)
    elder = world.homes[home]
    fig.suptitle(
        f"Simulated week of {elder.elder_id} ({elder.persona.key}, {elder.occupants} "
        f"occupant{'s' if elder.occupants > 1 else ''}) — red: incidents, grey: away",
        fontsize=11,
        y=0.999,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _lane(  # noqa: PLR0917 - internal, called in one place
    ax: Any, y: int, x: Any, rows: Any, code: Any, value: Any, role: str, colour: str
) -> None:
    xs, cs, vs = x[rows], code[rows], value[rows]
    if role.startswith("pir:"):
        keep = cs == codes.MOTION
        ax.vlines(xs[keep], y - 0.35, y + 0.35, color=colour, linewidth=0.6)
    elif role in ("bed", "door") or role.startswith("plug:"):
        kind = {"bed": codes.BED, "door": codes.DOOR}.get(role, codes.POWER)
        keep = cs == kind
        _states(ax, y, xs[keep], vs[keep] > (5 if kind == codes.POWER else 0.5), colour)
    elif role == "water":
        keep = cs == codes.WATER
        ax.scatter(xs[keep], np.full(keep.sum(), y), s=np.clip(vs[keep], 1, 60), color=colour)
    elif role == "sos":
        for kind, marker, shade in (
            (codes.CHECKIN, "o", "tab:green"),
            (codes.SOS, "X", "red"),
            (codes.CANCEL, "x", "black"),
        ):
            keep = cs == kind
            ax.scatter(xs[keep], np.full(keep.sum(), y), marker=marker, color=shade, s=30, zorder=3)
    elif role == "env":
        keep = cs == codes.TEMPERATURE
        temp = vs[keep]
        ax.plot(xs[keep], y - 0.4 + 0.8 * np.clip((temp - 10) / 30, 0, 1), color=colour, lw=0.8)
        if temp.size:
            ax.text(24.1, y, f"{temp.min():.0f}–{temp.max():.0f}°", fontsize=6, va="center")


def _states(ax: Any, y: int, xs: Any, on: Any, colour: str) -> None:
    """On/off readings as bars: from each 'on' to the next 'off'."""
    since: float | None = 0.0 if on.size and not on[0] and colour == "tab:purple" else None
    for x, state in zip(xs.tolist(), on.tolist(), strict=True):
        if state and since is None:
            since = x
        elif not state and since is not None:
            ax.broken_barh([(since, max(x - since, 0.08))], (y - 0.3, 0.6), color=colour)
            since = None
        if state and colour == "tab:brown":
            ax.vlines([x], y - 0.4, y + 0.4, color="black", linewidth=1.0)
    if since is not None:
        ax.broken_barh([(since, 24 - since)], (y - 0.3, 0.6), color=colour)


def _incidents(ax: Any, truth: list[dict[str, Any]], day0: float, lanes: int) -> None:
    for record in truth:
        a = parse_iso_or_epoch(record["start"]) or 0.0
        b = parse_iso_or_epoch(record.get("end")) or a + 600
        lo, hi = max(a, day0), min(b, day0 + DAY)
        if hi <= lo:
            continue
        colour = "0.6" if record["type"] == "away" else "red"
        ax.axvspan((lo - day0) / 3600, (hi - day0) / 3600, color=colour, alpha=0.15, lw=0)
        if record["type"] != "away" and day0 <= a < day0 + DAY:
            ax.text((a - day0) / 3600, lanes - 0.5, record["type"], color="red", fontsize=7)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--start", default="2026-07-06T00:00:00+08:00")
    parser.add_argument("--incident-rate", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=Path("docs/img/week.png"))
    args = parser.parse_args(argv)
    start = datetime.fromisoformat(args.start)
    world = build_world(args.home + 1, args.seed, start.astimezone(TZ))
    plot_week(world, args.home, start.timestamp(), args.out, incident_rate=args.incident_rate)


if __name__ == "__main__":
    main()
