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
from gateway.detectors.hearing import sensed
from gateway.detectors.homes import Homes
from gateway.detectors.inactivity import detect_inactivity
from gateway.detectors.moment import Moment
from gateway.detectors.not_back import detect_not_back
from gateway.detectors.state import HouseholdState
from gateway.detectors.stuck import detect_stuck, stuck_devices
from gateway.detectors.temperature import detect_temperature
from gateway.detectors.vitals import detect_vitals
from gateway.detectors.wandering import detect_wandering
from gateway.device_health import MISSED_HEARTBEATS

Bools = npt.NDArray[np.bool_]
Floats = npt.NDArray[np.float64]

# A rule that is not a whole alert type: ``inactivity``'s "not back" (``not_back.py``), off
# and on by itself (``inactivity`` off turns it off too).
NOT_BACK: Final = "not_back"
RULE_NAMES: Final = (*codes.ALERT_TYPES, NOT_BACK)
_NOT_BACK: Final = RULE_NAMES.index(NOT_BACK)
# Rules off unless a deployment turns them on (``TANFANG_DETECT_OFF``, ``tanfang evaluate
# --off``): activity_drop found 2 of 26 simulated declines on the tuning seeds for 0.24
# false alarms per 100 home-days (docs/detection.md) — pages an on-call team learns to
# ignore; not_back, on the simulator, found 1 incident more on the tuning seeds for 3
# false alarms and 2 alerts while away, and none on reporting seed 2 for 7 and 7: it
# needs the families to declare their nights away.
DEFAULT_OFF: Final = ("activity_drop", NOT_BACK)
NOTHING_OFF: Final[frozenset[int]] = frozenset()


def rule_names(text: str) -> tuple[str, ...]:
    """``TANFANG_DETECT_OFF`` / ``--off``: comma-separated alert types (or ``not_back``),
    checked (``ValueError`` naming one the detectors do not raise)."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    rules_off(names)
    return names


def rules_off(names: Iterable[str]) -> frozenset[int]:
    """The alert types (contract names) or rules ``names`` as the codes ``sweep`` leaves
    out (``RULE_NAMES``' positions); ``ValueError`` naming one the detectors do not
    raise."""
    off = set()
    for name in names:
        if name not in RULE_NAMES:
            raise ValueError(
                f"{name!r} is not a detector's alert type (nor rule): {', '.join(RULE_NAMES)}"
            )
        off.add(RULE_NAMES.index(name))
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
    the alert types and rules (codes, ``rules_off``) that do not run."""
    quiet = np.zeros(homes.n, dtype=bool) if suppressed is None else suppressed
    online = sensed(homes, state, now, MISSED_HEARTBEATS)
    m = Moment(homes, state, baseline, now, offset_s, online, quiet)
    return concat([rule(m) for kind, name, rule in _RULES if kind not in off and name not in off])


_SILENCED: Final = np.array(codes.SILENCED_BY_ABSENCE)

# Each rule: the alert type it raises, its own code (``RULE_NAMES``), in the order of their
# findings.
_RULES: Final[tuple[tuple[int, int, Callable[[Moment], Findings]], ...]] = (
    (codes.INACTIVITY, codes.INACTIVITY, detect_inactivity),
    (codes.INACTIVITY, _NOT_BACK, detect_not_back),
    (codes.NIGHT_WANDERING, codes.NIGHT_WANDERING, detect_wandering),
    (
        codes.ABNORMAL_TEMPERATURE,
        codes.ABNORMAL_TEMPERATURE,
        lambda m: detect_temperature(m.state, m.now),
    ),
    (codes.ABNORMAL_VITALS, codes.ABNORMAL_VITALS, detect_vitals),
    (codes.ACTIVITY_DROP, codes.ACTIVITY_DROP, detect_activity_drop),
    (codes.DEVICE_OFFLINE, codes.DEVICE_OFFLINE, lambda m: detect_stuck(m.homes, m.state, m.now)),
)


def cleared(
    homes: Homes,
    state: HouseholdState,
    opened_at: Floats,
    baseline: Baseline | None = None,
    suppressed: Bools | None = None,
) -> Bools:
    """``[slot, type]``: the condition of an alert opened at ``opened_at`` is over —
    inactivity: up and about since (life outside the bedroom: moving in bed is not up),
    someone in through the door since (the elder not back, home), or the elder went out
    since; night
    wandering: back home; temperature: back in range; vitals: a reading back in range;
    activity drop: the day's baseline no longer says so; a stuck sensor: none of the
    home's is stuck at the home's clock. Under a declared absence (``suppressed``) the
    alerts it silences are over too: the family's or the hospital's word explains them."""
    out = np.zeros(opened_at.shape, dtype=bool)
    away = state.away()
    opened = opened_at[:, codes.INACTIVITY]
    back = ~away & (state.door > opened) & (state.life > state.door)  # in through the door
    went = away & ~(state.out_since < opened)
    out[:, codes.INACTIVITY] = (state.up > opened) | went | back
    out[:, codes.ABNORMAL_TEMPERATURE] = np.isnan(state.hot_since) & np.isnan(state.cold_since)
    out[:, codes.NIGHT_WANDERING] = ~away
    out[:, codes.ABNORMAL_VITALS] = np.isnan(state.pulse_off_since)
    if baseline is not None:
        daily = baseline.daily
        out[:, codes.ACTIVITY_DROP] = np.isnan(daily.drop_since) & np.isnan(daily.night_since)
    if suppressed is not None:
        out[suppressed.nonzero()[0][:, None], _SILENCED] = True
    out[:, codes.DEVICE_OFFLINE] = True
    out[homes.device_slot[stuck_devices(homes, state, None)], codes.DEVICE_OFFLINE] = False
    return out
