"""The ingest benchmark's command line (``bench/ingest.py --help``): sizes, the gateway
command and settings, and whether the runs go without and with the detection path."""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

DESCRIPTION = "Ingest benchmark: the gateway against the broker's own limit, on this machine."

# Homes the detection leader sweeps in the run with detection on (beside the publishing
# fleet's elders), every sweep (TANFANG_DETECT_INTERVAL_S) while the drain and lag run.
DETECT_HOMES = 10_000


@dataclass(frozen=True)
class Options:
    events: int
    devices: int
    protocol: str
    lag_rate: float
    lag_seconds: float
    gateway: bool
    gateway_command: list[str]
    py_spy: Path | None = None
    gateway_env: tuple[tuple[str, str], ...] = ()
    detect: str = "both"
    detect_homes: int = DETECT_HOMES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--events", type=int, default=200_000, help="burst size (200000)")
    parser.add_argument("--devices", type=int, default=10_000, help="fleet size (10000)")
    parser.add_argument("--protocol", choices=["5", "3.1.1"], default="5")
    parser.add_argument("--lag-rate", type=float, default=5_000, help="events/s (5000)")
    parser.add_argument("--lag-seconds", type=float, default=20, help="duration (20)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for the smoke test")
    parser.add_argument(
        "--no-gateway", action="store_true", help="publisher and mosquitto_sub only"
    )
    parser.add_argument(
        "--gateway-command",
        default=f"{shlex.quote(sys.executable)} -m gateway",
        help="how to run one gateway process (default: this Python, -m gateway)",
    )
    parser.add_argument(
        "--py-spy",
        type=Path,
        metavar="OUT",
        help="profile the gateway during the drain with py-spy; collapsed stacks to OUT",
    )
    parser.add_argument(
        "--detect",
        choices=["both", "on", "off"],
        default="both",
        help="run without and with the detection path (both, the default), or one of them",
    )
    parser.add_argument(
        "--detect-homes",
        type=int,
        default=DETECT_HOMES,
        help=f"homes the detection leader sweeps in the run with it on ({DETECT_HOMES})",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="TANFANG_X=V",
        help="a gateway setting for this run, e.g. TANFANG_BATCH_MAX_ROWS=2000 (repeatable)",
    )
    return parser


def parse_args(argv: list[str] | None) -> Options:
    parser = _parser()
    args = parser.parse_args(argv)
    overrides = tuple(tuple(item.split("=", 1)) for item in args.set)
    if any(len(o) != 2 or not o[0].startswith("TANFANG_") for o in overrides):
        parser.error("--set takes TANFANG_NAME=VALUE")
    if args.quick:
        args.events, args.devices = min(args.events, 3_000), min(args.devices, 200)
        args.lag_rate, args.lag_seconds = min(args.lag_rate, 500), min(args.lag_seconds, 3)
        args.detect_homes = min(args.detect_homes, 200)
    if args.events < 1 or args.devices < 1:
        parser.error("--events and --devices must be positive")
    return Options(
        events=args.events,
        devices=args.devices,
        protocol=args.protocol,
        lag_rate=args.lag_rate,
        lag_seconds=args.lag_seconds,
        gateway=not args.no_gateway,
        gateway_command=shlex.split(args.gateway_command),
        py_spy=args.py_spy,
        gateway_env=overrides,
        detect=args.detect,
        detect_homes=args.detect_homes,
    )
