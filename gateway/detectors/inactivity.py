"""``inactivity``: no activity anywhere in the home for longer than the elder's learned
limit for a quiet that began in that hour in that place (the bedroom or elsewhere);
not up for the day (``state.up_for_day``: 10 min outside the bedroom since 04:00 where a
bedroom sensor tells; a night's trip to the toilet is not getting up) by the latest
wake-up of the elder's history + a margin; in the bathroom far longer than usual.

Never while the elder is out (the entrance door is the latest evidence), never while one
of the home's activity sensors is offline (a device's fault is not the person's), never
for an elder with no activity device (not monitored), never under a declared absence."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes, findings, quiet_code
from gateway.detectors.baseline import WAKE_FROM_S, place_of, start_bin
from gateway.detectors.findings import Findings, no_findings
from gateway.detectors.localtime import DAY_S, day_type, local_day
from gateway.detectors.moment import Moment

Floats = npt.NDArray[np.float64]

# Not up, but moving in the bedroom, is awake: late only when also quiet this long.
WAKE_QUIET_S: Final = 20 * 60.0
# A long bathroom stay is a dwell when it has also gone quiet: a shower keeps the sensor
# busy, someone who cannot get up barely moves.
BATH_QUIET_S: Final = 5 * 60.0


def detect_inactivity(m: Moment) -> Findings:
    state, baseline, now, offset_s = m.state, m.baseline, m.now, m.offset_s
    # Silence is counted from the later of the last life and the end of a sensor outage.
    heard = np.fmax(state.life, state.resumed)
    q = now - heard
    kind = day_type(now, offset_s)
    # The limit of a quiet that began then, there: a fall at 18:49 in the living room is
    # not judged by the night's sleep that the home is usually in by midnight.
    cell = (np.arange(len(q)), place_of(state), start_bin(heard, offset_s))
    limit = baseline.limit_s[cell]
    watched = m.watched() & ~np.isnan(q)
    # After a sensor outage and before any life, where the elder is (or whether they got up
    # or left the bathroom unseen) is unknown: only the quiet rule, counted from its end.
    seen = watched & ~(state.resumed > state.life)
    quiet = watched & (q > limit)
    bath = (
        seen
        & (state.room == codes.BATHROOM)
        & (now - state.room_since > baseline.bath_limit_s)
        & (q > BATH_QUIET_S)
    )
    midnight = local_day(now, offset_s) * DAY_S - offset_s
    late = (
        seen
        & ~(state.up_for_day(m.homes) >= midnight + WAKE_FROM_S)
        & (now - midnight > baseline.wake_limit_s[:, kind])
        & (q > WAKE_QUIET_S)
    )
    fire = (quiet | bath | late).nonzero()[0]
    if not len(fire):  # most sweeps: the rest is a dozen calls on empty arrays
        return no_findings()
    is_bath = bath[fire] & ~quiet[fire]
    is_late = late[fire] & ~quiet[fire] & ~is_bath

    def pick(if_bath: Floats | int, if_late: Floats | int, otherwise: Floats | int) -> Floats:
        out: Floats = np.where(is_bath, if_bath, np.where(is_late, if_late, otherwise))
        return out

    return Findings(
        slot=fire,
        kind=np.full(len(fire), codes.INACTIVITY, dtype=np.intp),
        reason=pick(findings.BATHROOM, findings.LATE_WAKE, findings.QUIET).astype(np.intp),
        since=pick(state.room_since[fire], state.life[fire], heard[fire]),
        usual_s=pick(
            baseline.bath_usual_s[fire],
            baseline.wake_usual_s[fire, kind],
            quiet_code.decode(baseline.usual_code[cell][fire]).astype(np.float64),
        ),
        limit_s=pick(baseline.bath_limit_s[fire], baseline.wake_limit_s[fire, kind], limit[fire]),
    )
