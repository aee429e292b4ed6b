"""The ingest benchmark's figures: a table for people and one JSON line for tools (not to be
confused with ``monthly_report.py``, the benchmark of the monthly statistics table)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list (``q`` in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Figures:
    events: int
    devices: int
    protocol: str
    publish_eps: float | None = None
    bare_runs: list[float] = field(default_factory=list)  # before and after the gateway
    gateway_eps: float | None = None
    gateway_eps_wall: float | None = None
    gateway_drain_s: float | None = None
    bare_cpu_us: float | None = None
    gateway_cpu_us: float | None = None
    broker_cpu_us: float | None = None
    database_cpu_us: float | None = None
    subscribe_s: float | None = None
    lag_rate: float | None = None
    lag_events: int | None = None
    lag_p50_ms: float | None = None
    lag_p99_ms: float | None = None
    lag_max_ms: float | None = None
    receive_lag_p50_ms: float | None = None
    receive_lag_p99_ms: float | None = None
    lost: int | None = None
    duplicated: int | None = None
    dead_letters: int | None = None
    clock_skew_flags: int | None = None
    rss_mib: float | None = None
    run_s: float | None = None
    detect_homes: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def bare_eps(self) -> float | None:
        return sum(self.bare_runs) / len(self.bare_runs) if self.bare_runs else None

    @property
    def ratio(self) -> float | None:
        if self.gateway_eps is None or not self.bare_eps:
            return None
        return self.gateway_eps / self.bare_eps

    def as_json(self) -> dict[str, Any]:
        def rnd(value: float | None, digits: int = 1) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "bare_eps": rnd(self.bare_eps, 0),
            "gateway_eps": rnd(self.gateway_eps, 0),
            "ratio": rnd(self.ratio, 3),
            "lost": self.lost,
            "duplicated": self.duplicated,
            "lag_p50_ms": rnd(self.lag_p50_ms),
            "lag_p99_ms": rnd(self.lag_p99_ms),
            "rss_mib": rnd(self.rss_mib),
            "events": self.events,
            "devices": self.devices,
            "protocol": self.protocol,
            "publish_eps": rnd(self.publish_eps, 0),
            "gateway_eps_wall": rnd(self.gateway_eps_wall, 0),
            "lag_max_ms": rnd(self.lag_max_ms),
            "lag_events": self.lag_events,
            "receive_lag_p99_ms": rnd(self.receive_lag_p99_ms),
            "dead_letters": self.dead_letters,
            "bare_eps_runs": [rnd(run, 0) for run in self.bare_runs],
            "bare_cpu_us_per_event": rnd(self.bare_cpu_us),
            "gateway_cpu_us_per_event": rnd(self.gateway_cpu_us),
            "broker_cpu_us_per_event": rnd(self.broker_cpu_us),
            "database_cpu_us_per_event": rnd(self.database_cpu_us),
            "run_s": rnd(self.run_s),
        }


def _fmt(value: float | None, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}{unit}"


def table(f: Figures) -> str:
    proto = "MQTT 5" if f.protocol == "5" else "MQTT 3.1.1"
    rows = [
        ("events / devices", f"{f.events:,} / {f.devices:,}  ({proto}, QoS 1)"),
        ("publisher (raw QoS 1, 1 connection)", _fmt(f.publish_eps, " msg/s")),
        (
            "(a) mosquitto_sub drain",
            _fmt(f.bare_eps, " events/s")
            + f"  (mean of {' and '.join(_fmt(run) for run in f.bare_runs)})",
        ),
        ("(b) gateway drain, committed", _fmt(f.gateway_eps, " events/s")),
        ("    … including process start-up", _fmt(f.gateway_eps_wall, " events/s")),
        ("ratio (b)/(a)", _fmt(f.ratio, "", 3)),
        ("    CPU per event, mosquitto_sub", _fmt(f.bare_cpu_us, " µs", 1)),
        (
            "    CPU per event during (b)",
            f"gateway {_fmt(f.gateway_cpu_us, ' µs', 1)}"
            f"  broker {_fmt(f.broker_cpu_us, ' µs', 1)}"
            f"  PostgreSQL {_fmt(f.database_cpu_us, ' µs', 1)}",
        ),
        (
            f"(c) lag publish→commit at {_fmt(f.lag_rate)}/s",
            f"p50 {_fmt(f.lag_p50_ms, ' ms', 1)}  p99 {_fmt(f.lag_p99_ms, ' ms', 1)}"
            f"  max {_fmt(f.lag_max_ms, ' ms', 1)}",
        ),
        (
            "    publish→receive (received_at)",
            f"p50 {_fmt(f.receive_lag_p50_ms, ' ms', 1)}"
            f"  p99 {_fmt(f.receive_lag_p99_ms, ' ms', 1)}",
        ),
        ("lost / duplicated", f"{_fmt(f.lost)} / {_fmt(f.duplicated)}"),
        ("dead letters / clock-skew flags", f"{_fmt(f.dead_letters)} / {_fmt(f.clock_skew_flags)}"),
        ("gateway peak RSS (VmHWM)", _fmt(f.rss_mib, " MiB", 1)),
        ("whole run", _fmt(f.run_s, " s", 1)),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"{name:<{width}}  {value}" for name, value in rows]
    lines += [f"note: {note}" for note in f.notes]
    return "\n".join(lines)
