"""Household state in numpy arrays, one slot per elder, updated from events in bulk.

Pure: no database, no MQTT, no clock read. Times are epoch seconds, NaN = never.

* **clock**: a home's latest event time; an event older than it does not move it back,
  and an untrusted time (``clock_skew``, ``no_device_time``) is the receive time.
* **life**: the last in-home activity, evidence that someone is at home: motion, bed,
  chair, water, an appliance switched on (not off: a kettle switches itself off after
  its owner has left), an inside door. Not a button press: the button goes out with its
  owner. The
  entrance door is not (it says someone came or went), nor is the entrance's motion sensor
  within ``DOOR_PASSAGE_S`` of the door.
* **presence**: after the entrance door, any life means home; none means away (``away``).
* **stuck sensor**: a motion sensor firing with gaps under ``STUCK_GAP_S`` for more than
  ``STUCK_AFTER_S`` is a device fault, not proof of life: its firings stop counting until
  it pauses, and the life its run had counted until then is taken back (``_retract``): the
  home's last life is again the latest that another device, or this one before the run,
  saw. A sensor that sticks while its elder is out does not bring the elder home. Nor is
  the home's silence the person's while it fires: a room whose sensor always fires is a
  room nobody can see, like one whose sensor is offline, so each of its firings is when
  the home can be heard again (``resumed``) — silence counts from the run's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import codes
from gateway.detectors.events import EventBatch, rounds
from gateway.detectors.homes import Homes
from gateway.detectors.night import HELP_S, VISIT_S
from gateway.detectors.readings import fold_readings, switched_on

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.intp]
Bools = npt.NDArray[np.bool_]

# Someone leaving crosses the entrance's motion sensor just before or after the door.
DOOR_PASSAGE_S: Final = 120.0
# A PIR re-arms in about 30 s; a person moving keeps it firing, but not for hours
# without a pause of a few minutes, while a stuck one fires every minute for hours.
DOOR_SETTLE_S: Final = 60.0
STUCK_GAP_S: Final = 150.0
# Risen (up for the day): life outside the bedroom for this long with no pause longer
# than ``RISEN_GAP_S`` — a night's trip to the toilet (a few minutes, then back to bed or
# silence) is not getting up.
RISEN_AFTER_S: Final = 10 * 60.0
RISEN_GAP_S: Final = 30 * 60.0
# The place of a quiet is where the elder was last seen if that was at most this long
# before the last life (``HouseholdState.quiet_room``).
SEEN_ROOM_S: Final = 2 * 60.0
STUCK_AFTER_S: Final = 90 * 60.0
# Heard again after this many heartbeat intervals of silence: an outage ended (the
# device-health rule, gateway.device_health.MISSED_HEARTBEATS).
RESUME_MISSED: Final = 2


@dataclass(slots=True)
class HouseholdState:
    """Per elder slot: ``clock``, ``life``, ``door`` (entrance door), ``room`` (room code of
    the last life) and ``room_since`` (since when life has been in that room), ``up`` (the
    last life outside the bedroom: up and about), ``seen_room``/``seen_at`` (where and
    when a sensor last placed the elder — motion, bed, a door: a meter's report of water
    or power used is life, but not where the person went next — ``quiet_room``),
    ``risen`` (the last life of a run outside the bedroom that had lasted
    ``RISEN_AFTER_S``: up for the day, ``up_for_day``; ``outside_from`` when
    that run began), ``out_since`` (the first entrance-door
    event after the last life: gone out then, if away; ``door_before_out`` the door's
    event before it), ``resumed`` (an activity device of the home heard again after an
    outage, or a stuck sensor's latest firing: the silence before it says nothing),
    ``excused`` (the last sweep at which the elder was under a declared absence: an
    outing begun before it is explained by it, ``excuse``), ``called`` (the last call for
    help — an SOS press, a fall detected — not cancelled since), ``bed`` (1 occupied, 0 left,
    NaN unknown), ``temperature`` and when it went ≥ ``HOT_C`` / ≤ ``COLD_C`` (``hot_since``,
    ``cold_since``), the wearable's last plausible heart rate ``pulse`` (float32), when
    (``pulse_at``) and since when every reading has been out of range (``pulse_off_since``,
    NaN: in range), ``day_count`` / ``yesterday_count`` (activity events of the local day
    and the one before, float32; ``start_day`` cuts them). Per device: ``seen`` (last message),
    ``will`` (its Last Will
    stands), ``run_start``/``last_motion`` (stuck-sensor run), ``dev_life`` (the last
    event of the device that counted as life) and ``life_before_run`` (its ``dev_life``
    when its current motion run began: what is left if the run turns out stuck),
    ``watts``."""

    clock: Floats
    life: Floats
    door: Floats
    room: Ints
    room_since: Floats
    seen_room: Ints
    seen_at: Floats
    up: Floats
    risen: Floats
    outside_from: Floats
    out_since: Floats
    door_before_out: Floats
    resumed: Floats
    excused: Floats
    called: Floats
    bed: Floats
    temperature: Floats
    hot_since: Floats
    cold_since: Floats
    day_count: npt.NDArray[np.float32]
    yesterday_count: npt.NDArray[np.float32]
    seen: Floats
    will: Bools
    run_start: Floats
    last_motion: Floats
    dev_life: Floats
    life_before_run: Floats
    watts: Floats
    pulse: npt.NDArray[np.float32]
    pulse_at: Floats
    pulse_off_since: Floats

    def up_for_day(self, homes: Homes) -> Floats:
        """When the elder was last up for the day: ``risen`` where a bedroom sensor can tell
        a trip to the toilet from getting up, else any life outside the bedroom (``up``);
        the entrance door too (someone who went out or came back in is up: back at 15:57
        from a night away is not a late wake-up)."""
        out: Floats = np.fmax(np.where(homes.bedroom_sensor, self.risen, self.up), self.door)
        return out

    def quiet_room(self) -> Ints:
        """Where the running quiet began: the room the elder was last seen in if that
        was at most ``SEEN_ROOM_S`` before the last life (a tap's use reported as one walks
        to the chair), else the room of the last life (a kit of meters only)."""
        recent = self.life - self.seen_at <= SEEN_ROOM_S  # NaN: never seen moving
        out: Ints = np.where(recent, self.seen_room, self.room)
        return out

    def gone(self, slots: Ints | None = None) -> Bools:
        """Out since the entrance door (``out_since``) with no life after it: gone out, not
        the door's settling while someone stays in."""
        life = self.life if slots is None else self.life[slots]
        since = self.out_since if slots is None else self.out_since[slots]
        out: Bools = self.away(slots) & (since > np.fmax(life, -np.inf))
        return out

    def left_alone(self, slots: Ints | None = None) -> Bools:
        """The last going out was not within ``VISIT_S`` of the door's previous event (not
        leaving with a visitor: a carer, helpers taking the elder to hospital), nor the
        first use of the door within ``HELP_S`` after a call for help (``called``: help
        coming in; once help has come, a later door is the elder's again)."""
        pick = slice(None) if slots is None else slots
        since, before = self.out_since[pick], self.door_before_out[pick]
        out: Bools = ~(since - before < VISIT_S)
        after = since - self.called[pick]
        out &= ~((after >= 0) & (after <= HELP_S) & ~(before >= self.called[pick]))
        return out

    def out_unexcused(self, slots: Ints | None = None) -> Bools:
        """The last going out began after the last declared absence (``excused``): a
        hospital stay or a night at a child's that has ended while the elder is not yet back
        explains the outing still — it is not wandering, nor "not back"."""
        since = self.out_since if slots is None else self.out_since[slots]
        excused = self.excused if slots is None else self.excused[slots]
        out: Bools = ~(since <= excused)
        return out

    def away(self, slots: Ints | None = None) -> Bools:
        """Out of the home (of ``slots``, or everyone): the entrance door is the latest
        evidence (activity within ``DOOR_SETTLE_S`` after it is the leaving itself: a PIR's
        late report, jitter)."""
        door, life = (
            (self.door, self.life) if slots is None else (self.door[slots], self.life[slots])
        )
        out: Bools = door > np.fmax(life, -np.inf) - DOOR_SETTLE_S  # NaN life: never
        return out


def new_state(homes: Homes) -> HouseholdState:
    n, d = homes.n, len(homes.device_ids)
    return HouseholdState(
        clock=np.full(n, np.nan),
        life=np.full(n, np.nan),
        door=np.full(n, np.nan),
        room=np.zeros(n, dtype=np.intp),
        room_since=np.full(n, np.nan),
        seen_room=np.zeros(n, dtype=np.intp),
        seen_at=np.full(n, np.nan),
        up=np.full(n, np.nan),
        risen=np.full(n, np.nan),
        outside_from=np.full(n, np.nan),
        out_since=np.full(n, np.nan),
        door_before_out=np.full(n, np.nan),
        resumed=np.full(n, np.nan),
        excused=np.full(n, np.nan),
        called=np.full(n, np.nan),
        bed=np.full(n, np.nan),
        temperature=np.full(n, np.nan),
        hot_since=np.full(n, np.nan),
        cold_since=np.full(n, np.nan),
        day_count=np.zeros(n, dtype=np.float32),
        yesterday_count=np.zeros(n, dtype=np.float32),
        seen=np.full(d, np.nan),
        will=np.zeros(d, dtype=bool),
        run_start=np.full(d, np.nan),
        last_motion=np.full(d, np.nan),
        dev_life=np.full(d, np.nan),
        life_before_run=np.full(d, np.nan),
        watts=np.full(d, np.nan),
        pulse=np.full(n, np.nan, dtype=np.float32),
        pulse_at=np.full(n, np.nan),
        pulse_off_since=np.full(n, np.nan),
    )


def _fmax_at(target: Floats, index: Ints, values: Floats) -> None:
    """``target[index] = max(target[index], values)``, NaN in ``target`` = never."""
    if len(index):
        np.fmax.at(target, index, values)


def apply(homes: Homes, state: HouseholdState, batch: EventBatch) -> None:
    """Fold ``batch`` (in receive order) into ``state``."""
    slot = homes.device_slot[batch.device]
    known = slot >= 0
    if not known.all():
        batch = batch.take(known.nonzero()[0])
        slot = slot[known]
    if len(batch) == 0:
        return
    t = batch.time()
    dev = batch.device
    _fmax_at(state.clock, slot, t)
    _resumed(homes, state, dev, batch.received)
    _fmax_at(state.seen, dev, batch.received)
    state.will[dev] = False
    acts, blind, stuck = _activity(homes, state, batch, t)
    _fmax_at(state.resumed, slot[blind], t[blind])
    doors = (acts & homes.entrance_door[dev]).nonzero()[0]
    before = _doors(state, slot[doors], t[doors])
    room = homes.device_room[dev]
    door = state.door[slot]
    door[np.isnan(door)] = 0.0  # never: long ago
    passage = (room == codes.ENTRANCE) & ~(t - door > DOOR_PASSAGE_S)
    carried = codes.in_kinds(codes.CARRIED_TABLE, batch.kind)
    life = (acts & ~homes.entrance_door[dev] & ~passage & ~carried).nonzero()[0]
    placed = ~codes.in_kinds(codes.METER_TABLE, batch.kind)
    _lives(state, life, placed, slot, room, t)
    _fmax_at(state.dev_life, dev[life], t[life])
    if len(stuck):
        _retract(homes, state, stuck)
    _went_out(state, slot[doors], t[doors], before)
    np.add.at(state.day_count, slot[acts], 1.0)
    fold_readings(state, batch, slot, t)


def _doors(state: HouseholdState, slot: Ints, t: Floats) -> Floats:
    """The entrance door's events, in order; returns each one's previous door event."""
    before = np.empty(len(slot))
    for r in rounds(slot):
        before[r] = state.door[slot[r]]
        state.door[slot[r]] = np.fmax(state.door[slot[r]], t[r])
    return before


def _lives(  # noqa: PLR0917 - the batch's columns
    state: HouseholdState, life: Ints, placed: Bools, slot: Ints, room: Ints, t: Floats
) -> None:
    """Events ``life`` (positions in the batch) are someone at home: the last life, its
    room and since when, and being up (outside the bedroom); those ``placed`` (not a
    meter's report) also where the elder was last seen."""
    for r in rounds(slot[life]):
        i = life[r]
        seen = i[placed[i] & ~(t[i] < state.seen_at[slot[i]])]
        state.seen_at[slot[seen]] = t[seen]
        state.seen_room[slot[seen]] = room[seen]
        j = i[~(t[i] < state.life[slot[i]])]
        s = slot[j]
        # A stay begins in a new room, or in the same one after a door since the last life
        # (the toilet before going out and again on coming home are two stays).
        came_in = (state.door[s] > state.life[s]) & (state.door[s] < t[j])
        moved = (room[j] != state.room[s]) | came_in
        state.room_since[s] = np.where(moved, t[j], state.room_since[s])
        outside = room[j] != codes.BEDROOM
        going = outside & (state.room[s] != codes.BEDROOM) & (t[j] - state.life[s] <= RISEN_GAP_S)
        state.outside_from[s] = np.where(
            outside, np.where(going, state.outside_from[s], t[j]), np.nan
        )
        risen = outside & (t[j] - state.outside_from[s] >= RISEN_AFTER_S)
        state.risen[s] = np.where(risen, t[j], state.risen[s])
        state.life[s] = t[j]
        state.room[s] = room[j]
        out = j[outside]
        state.up[slot[out]] = t[out]


def _activity(
    homes: Homes, state: HouseholdState, batch: EventBatch, t: Floats
) -> tuple[Bools, Ints, Ints]:
    """Which events a person caused, updating the per-device power and stuck-run state;
    the firings of stuck sensors (positions in the batch); and the motion sensors whose run
    this batch found stuck (its firing past ``STUCK_AFTER_S`` after one that still
    counted)."""
    kind = batch.kind
    acts = codes.in_kinds(codes.ACTIVITY_TABLE, kind)
    power = (kind == codes.POWER).nonzero()[0]
    acts[power] = switched_on(state.watts, batch.device[power], batch.value[power])
    motion = (kind == codes.MOTION).nonzero()[0]
    stuck: list[Ints] = []
    for r in rounds(batch.device[motion]):
        i = motion[r]
        d = batch.device[i]
        pause = ~(t[i] - state.last_motion[d] <= STUCK_GAP_S)
        counted = state.last_motion[d] - state.run_start[d] <= STUCK_AFTER_S
        state.life_before_run[d] = np.where(pause, state.dev_life[d], state.life_before_run[d])
        state.run_start[d] = np.where(pause, t[i], state.run_start[d])
        state.last_motion[d] = np.fmax(state.last_motion[d], t[i])
        acts[i] = t[i] - state.run_start[d] <= STUCK_AFTER_S
        stuck.append(d[counted & ~pause & ~acts[i]])
    blind = motion[~acts[motion]]
    return acts, blind, np.concatenate(stuck) if stuck else np.zeros(0, dtype=np.intp)


def _retract(homes: Homes, state: HouseholdState, devices: Ints) -> None:
    """Motion sensors just found stuck: the life their runs counted was no person. Each
    home's last life is set back to the latest that its devices saw honestly — a stuck
    one's life before its run, every other's last — with its room; an elder who was out
    is out again. Rare (a device fault), so a home at a time."""
    for d in np.unique(devices):
        s = homes.device_slot[d]
        mates = (homes.device_slot == s).nonzero()[0]
        stuck = state.last_motion[mates] - state.run_start[mates] > STUCK_AFTER_S
        honest = np.where(stuck, state.life_before_run[mates], state.dev_life[mates])
        known = (~np.isnan(honest)).nonzero()[0]
        last = honest[known].max() if len(known) else np.nan
        if np.isnan(state.life[s]) or last >= state.life[s]:
            continue  # nothing of the run is the home's last life
        # NaN: no honest life known, nor where the elder was.
        state.life[s] = state.room_since[s] = state.seen_at[s] = last
        if len(known):
            room = homes.device_room[mates[known[honest[known].argmax()]]]
            state.room[s] = state.seen_room[s] = room


def _resumed(homes: Homes, state: HouseholdState, dev: Ints, received: Floats) -> None:
    """An activity device heard again after an outage (its Last Will, or silent past
    ``RESUME_MISSED`` heartbeats): the home's silence before that is the device's, not the
    person's — ``resumed`` is when the home could be heard again."""
    order = np.argsort(dev, kind="stable")
    d, r = dev[order], received[order]
    first = np.ones(len(d), dtype=bool)
    np.not_equal(d[1:], d[:-1], out=first[1:])
    before = state.seen[d]  # each message's previous one: stored, or the batch's
    later = ~first[1:]
    before[1:][later] = r[:-1][later]
    quiet = ~(r - before <= RESUME_MISSED * homes.device_interval_s[d])
    will = first & state.will[d]
    back = homes.activity[d] & ~np.isnan(before) & (quiet | will)
    _fmax_at(state.resumed, homes.device_slot[d[back]], r[back])


def _went_out(state: HouseholdState, slot: Ints, t: Floats, before: Floats) -> None:
    """``out_since``: the first entrance-door event after the last life (when the elder
    went out); a door while already out (coming back, before any life) does not move it.
    ``door_before_out``: the entrance door's event before that one (someone came in)."""
    for r in rounds(slot):
        s = slot[r]
        fresh = ~(state.out_since[s] > state.life[s]) & ~(t[r] <= state.life[s])
        state.out_since[s] = np.where(fresh, t[r], state.out_since[s])
        state.door_before_out[s] = np.where(fresh, before[r], state.door_before_out[s])


def excuse(state: HouseholdState, suppressed: Bools, now: float) -> None:
    """The elders under a declared absence (``suppressed``) at ``now``."""
    state.excused[suppressed] = now


def start_day(state: HouseholdState) -> None:
    """A new local day: today's counts become yesterday's."""
    state.yesterday_count = state.day_count
    state.day_count = np.zeros_like(state.day_count)
