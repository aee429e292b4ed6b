"""What the home's instruments read, folded into the household state (``state.apply``):
the bed mat, the indoor temperature and how long it has been out of range, the wearable's
heart rate, and the calls for help (an SOS press, a fall detected, a cancel). Pure, as the
state is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes
from gateway.detectors.events import EventBatch, rounds

if TYPE_CHECKING:
    from gateway.detectors.state import HouseholdState

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]

HOT_C: Final = 35.0
COLD_C: Final = 5.0
# Heart rate (bpm): outside these bounds is out of range (contract §2 ``abnormal_vitals``,
# issue 13); a reading outside ``PULSE_PLAUSIBLE`` is a band off the wrist, not a pulse.
PULSE_LOW: Final = 40.0
PULSE_HIGH: Final = 130.0
PULSE_PLAUSIBLE: Final = (15.0, 250.0)
# A wearable reads every 10 min while worn: no reading for this long, it was taken off (a
# run of out-of-range readings across such a gap is two runs, not one).
PULSE_GAP_S: Final = 25 * 60.0


def switched_on(watts: Floats, device: Ints, value: Floats) -> Bools:
    """Which of the power readings ``value`` (of ``device``, in order) switch an appliance
    on: at or above ``codes.POWER_SWITCH_W`` after a reading of the same device below it. A
    first reading switches nothing (a TV may have been on for hours); ``watts``, each
    device's last reading, is brought up to date. A plug reporting every 15 min while on is
    not someone moving; switching it on is."""
    out = np.zeros(len(device), dtype=bool)
    for r in rounds(device):
        d = device[r]
        was = watts[d]
        out[r] = ~np.isnan(was) & (value[r] >= codes.POWER_SWITCH_W)
        out[r] &= ~(was >= codes.POWER_SWITCH_W)
        watts[d] = value[r]
    return out


def fold_readings(state: HouseholdState, batch: EventBatch, slot: Ints, t: Floats) -> None:
    """The batch's readings (``slot``: each event's elder, ``t``: its trusted time)."""
    _beds(state, batch, slot)
    _calls(state, batch, slot, t)
    _temperatures(state, batch, slot, t)
    _pulses(state, batch, slot, t)


def _calls(state: HouseholdState, batch: EventBatch, slot: Ints, t: Floats) -> None:
    """``called``: an SOS press or a fall detected is a call for help; a cancel after it
    (pressed by mistake) withdraws it."""
    kind = batch.kind
    calls = codes.in_kinds(codes.CALL_TABLE, kind).nonzero()[0]
    for r in rounds(slot[calls]):
        i = calls[r]
        s = slot[i]
        call = kind[i] != codes.CANCEL
        later = ~(t[i] < state.called[s])  # an older event does not move it back
        state.called[s] = np.where(
            call, np.fmax(state.called[s], t[i]), np.where(later, np.nan, state.called[s])
        )


def _beds(state: HouseholdState, batch: EventBatch, slot: Ints) -> None:
    beds = (batch.kind == codes.BED).nonzero()[0]
    for r in rounds(slot[beds]):
        i = beds[r]
        state.bed[slot[i]] = batch.value[i]


def _temperatures(state: HouseholdState, batch: EventBatch, slot: Ints, t: Floats) -> None:
    temps = ((batch.kind == codes.TEMPERATURE) & ~np.isnan(batch.value)).nonzero()[0]
    for r in rounds(slot[temps]):
        i = temps[r]
        s, v = slot[i], batch.value[i]
        state.temperature[s] = v
        state.hot_since[s] = np.where(v >= HOT_C, np.fmin(state.hot_since[s], t[i]), np.nan)
        state.cold_since[s] = np.where(v <= COLD_C, np.fmin(state.cold_since[s], t[i]), np.nan)


def _pulses(state: HouseholdState, batch: EventBatch, slot: Ints, t: Floats) -> None:
    """The wearable's heart rate: the last reading and since when the readings have all been
    out of ``PULSE_LOW``–``PULSE_HIGH``. A reading after a gap of ``PULSE_GAP_S`` (the band
    was off) starts a new run; an implausible one (off the wrist) is no reading."""
    lo, hi = PULSE_PLAUSIBLE
    v = batch.value
    beats = (batch.kind == codes.HEART_RATE).nonzero()[0]  # few: no batch-sized temporaries
    beats = beats[(v[beats] >= lo) & (v[beats] <= hi)]
    for r in rounds(slot[beats]):
        i = beats[r]
        s, bpm, at = slot[i], v[i], t[i]
        fresh = ~(at < state.pulse_at[s])  # an older reading does not move anything back
        s, bpm, at = s[fresh], bpm[fresh], at[fresh]
        off = (bpm < PULSE_LOW) | (bpm > PULSE_HIGH)
        was = ~np.isnan(state.pulse_off_since[s]) & (at - state.pulse_at[s] <= PULSE_GAP_S)
        same = was & ((bpm > PULSE_HIGH) == (state.pulse[s] > PULSE_HIGH))
        state.pulse_off_since[s] = np.where(
            off, np.where(same, state.pulse_off_since[s], at), np.nan
        )
        state.pulse[s] = bpm
        state.pulse_at[s] = at
