"""The sweep: every detector over every home at once, at ``now``. The gateway runs it on
the wall clock, ``tanfang evaluate`` on event time — the same function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes
from gateway.detectors.activity_drop import detect_activity_drop
from gateway.detectors.baseline import Baseline
from gateway.detectors.findings import Findings, concat
from gateway.detectors.homes import Homes
from gateway.detectors.inactivity import detect_inactivity
from gateway.detectors.moment import Moment
from gateway.detectors.state import HouseholdState, sensed
from gateway.detectors.stuck import detect_stuck, stuck_devices
from gateway.detectors.temperature import detect_temperature
from gateway.detectors.vitals import detect_vitals
from gateway.detectors.wandering import detect_wandering
from gateway.device_health import MISSED_HEARTBEATS

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

# Rules off unless a deployment turns them on (``TANFANG_DETECT_OFF``, ``tanfang evaluate
# --off``): activity_drop found 2 of 26 simulated declines on the tuning seeds for 0.24
# false alarms per 100 home-days (docs/detection.md) — pages an on-call team learns to
# ignore.
DEFAULT_OFF: Final = ("activity_drop",)
NOTHING_OFF: Final[frozenset[int]] = frozenset()


def rule_names(text: str) -> tuple[str, ...]:
    """``TANFANG_DETECT_OFF`` / ``--off``: comma-separated alert types, checked
    (``ValueError`` naming one the detectors do not raise)."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    rules_off(names)
    return names


def rules_off(names: Iterable[str]) -> frozenset[int]:
    """The alert types ``names`` (contract names) as the codes ``sweep`` leaves out;
    ``ValueError`` naming one the detectors do not raise."""
    off = set()
    for name in names:
        if name not in codes.ALERT_TYPES:
            raise ValueError(
                f"{name!r} is not a detector's alert type: {', '.join(codes.ALERT_TYPES)}"
            )
        off.add(codes.ALERT_TYPES.index(name))
    return frozenset(off)


def sweep(  # noqa: PLR0917 - the sweep's inputs
    homes: Homes,
    state: HouseholdState,
    baseline: Baseline,
    now: float,
    offset_s: float,
    suppressed: Bools | None = None,
    off: frozenset[int] = NOTHING_OFF,
) -> Findings:
    """Every finding at ``now``; ``suppressed``: slots under a declared absence; ``off``:
    the alert types (codes, ``rules_off``) whose rules do not run."""
    quiet = np.zeros(homes.n, dtype=bool) if suppressed is None else suppressed
    online = sensed(homes, state, now, MISSED_HEARTBEATS)
    m = Moment(homes, state, baseline, now, offset_s, online, quiet)
    return concat([rule(m) for kind, rule in _RULES if kind not in off])


# Each rule and the alert type it raises, in the order of their findings.
_RULES: Final[tuple[tuple[int, Callable[[Moment], Findings]], ...]] = (
    (codes.INACTIVITY, detect_inactivity),
    (codes.NIGHT_WANDERING, detect_wandering),
    (codes.ABNORMAL_TEMPERATURE, lambda m: detect_temperature(m.state, m.now)),
    (codes.ABNORMAL_VITALS, detect_vitals),
    (codes.ACTIVITY_DROP, detect_activity_drop),
    (codes.DEVICE_OFFLINE, lambda m: detect_stuck(m.homes, m.state, m.now)),
)


def cleared(
    homes: Homes, state: HouseholdState, opened_at: Floats, baseline: Baseline | None = None
) -> Bools:
    """``[slot, type]``: the condition of an alert opened at ``opened_at`` is over —
    inactivity: up and about since (life outside the bedroom: moving in bed is not up),
    or the elder went out; night wandering: back home; temperature: back in range; vitals:
    a reading back in range; activity drop: the day's baseline no longer says so; a stuck
    sensor: none of the home's is stuck at the home's clock."""
    out = np.zeros(opened_at.shape, dtype=bool)
    away = state.away()
    out[:, codes.INACTIVITY] = (state.up > opened_at[:, codes.INACTIVITY]) | away
    out[:, codes.ABNORMAL_TEMPERATURE] = np.isnan(state.hot_since) & np.isnan(state.cold_since)
    out[:, codes.NIGHT_WANDERING] = ~away
    out[:, codes.ABNORMAL_VITALS] = np.isnan(state.pulse_off_since)
    if baseline is not None:
        daily = baseline.daily
        out[:, codes.ACTIVITY_DROP] = np.isnan(daily.drop_since) & np.isnan(daily.night_since)
    out[:, codes.DEVICE_OFFLINE] = True
    out[homes.device_slot[stuck_devices(homes, state, None)], codes.DEVICE_OFFLINE] = False
    return out
