"""Hand-built homes and timelines for the detectors' tests (Asia/Shanghai local time)."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import numpy.typing as npt

from gateway.detectors import DeviceInfo, EventBatch, Homes, Profiles, build_homes
from gateway.detectors.codes import KIND

OFFSET = 8 * 3600.0

ELDER = "KP-1"
KIT = (
    DeviceInfo("pir-bed", ELDER, "motion_sensor", "bedroom", 7200),
    DeviceInfo("pir-bath", ELDER, "motion_sensor", "bathroom", 7200),
    DeviceInfo("door", ELDER, "door_sensor", "entrance", 7200),
    DeviceInfo("mat", ELDER, "bed_sensor", "bedroom", 7200),
    DeviceInfo("env", ELDER, "env_sensor", "living_room", 7200),
    DeviceInfo("pat", ELDER, "sos_button", "bedroom", 3600),
    DeviceInfo("pat-2", "KP-2", "sos_button", "bedroom", 3600),  # KP-2: no activity device
)


def at(local: str) -> float:
    """``2026-01-31 23:10`` Shanghai → epoch seconds."""
    return datetime.fromisoformat(local.replace(" ", "T") + "+08:00").timestamp()


def homes() -> Homes:
    return build_homes([ELDER, "KP-2"], KIT)


def profiles(*, alone: bool = True, override_min: float | None = None) -> Profiles:
    return Profiles(
        frail=np.zeros(2, dtype=bool),
        alone=np.array([alone, True]),
        override_s=np.array([math.nan if override_min is None else 60 * override_min, math.nan]),
        watch=np.zeros(2, dtype=bool),
        dementia=np.zeros(2, dtype=bool),
    )


def events(
    h: Homes, rows: list[tuple[str, str, str, float]], *, untrusted: bool = False
) -> EventBatch:
    """``(local time, device, kind, value)`` rows, received when they happened."""
    t = np.array([at(r[0]) for r in rows])
    return EventBatch(
        device=np.array([h.device_ids.position(r[1]) for r in rows], dtype=np.intp),
        kind=np.array([KIND[r[2]] for r in rows], dtype=np.intp),
        value=np.array([r[3] for r in rows]),
        ts=t,
        received=t,
        untrusted=np.full(len(rows), untrusted),
    )


def heartbeats(h: Homes, local: str) -> EventBatch:
    """Every device heard at ``local`` (its sensors online)."""
    return beats_at(h, at(local))


def beats_through(h: Homes, first: str, last: str) -> list[EventBatch]:
    """Every device's heartbeat each hour from ``first`` to ``last`` (local): sensors that
    stay online."""
    t0, t1 = at(first), at(last)
    return [beats_at(h, t) for t in np.arange(t0, t1 + 1, 3600.0)]


def beats_at(h: Homes, t: float) -> EventBatch:
    n = len(h.device_ids)
    times = np.full(n, t)
    return EventBatch(
        np.arange(n),
        np.full(n, KIND["heartbeat"]),
        np.full(n, np.nan),
        times,
        times,
        np.zeros(n, dtype=bool),
    )


def motions(h: Homes, device: str, times: npt.NDArray[np.float64]) -> EventBatch:
    """``device`` fires at each of ``times`` (epoch s)."""
    n = len(times)
    return EventBatch(
        np.full(n, h.device_ids.position(device)),
        np.full(n, KIND["motion"]),
        np.ones(n),
        times,
        times,
        np.zeros(n, dtype=bool),
    )
