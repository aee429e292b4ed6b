"""A new detection leader's memory: the stored activity rollup (``activity_hourly``,
migration 0048) replayed into the household state and the baselines' history, so that a
restarted or newly elected leader knows at once when each home was last lively and what is
usual for each elder (issue 13: "a restarted gateway does not forget").

The rollup keeps, per elder, hour, device and kind, how many activity events there were
and the last one's time. Each row becomes one event at that last time and, when the hour
had more, one at the hour's start plus one average gap (where its first event most likely
was); those are folded into the state in time order and the baselines learn from the
state every ``OBSERVE_S`` and at each midnight (``Learning``: the live sweep's and ``tanfang
evaluate``'s own step). Finer than the rollup it cannot be: a quiet spell inside an hour of
activity is not seen (the learned limits err long, never short), and appliance switching
(power, not in the rollup) is not history.
While replaying, every sensor counts as online: the rollup does not say when one was not.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from gateway.detect_repo import HourRow
from gateway.detectors import EventBatch, QuietHistory, apply
from gateway.detectors.absences import Absences
from gateway.detectors.baseline import OBSERVE_S
from gateway.detectors.codes import KIND
from gateway.detectors.device_ids import DeviceIds
from gateway.detectors.homes import Homes
from gateway.detectors.learning import Learning
from gateway.detectors.localtime import DAY_S, local_day
from gateway.detectors.state import HouseholdState

HOUR_S = 3600.0


def hours_to_batch(rows: Sequence[HourRow], device_ids: DeviceIds) -> EventBatch:
    """The rollup's rows as events in time order (see the module's note)."""
    dev: list[int] = []
    kind: list[int] = []
    ts: list[float] = []
    where = device_ids.lookup([r[0] for r in rows]).tolist()
    for d, (_, k, hour, count, last) in zip(where, rows, strict=True):
        code = KIND.get(k, -1)
        if d < 0 or code < 0:
            continue
        if count > 1:
            dev.append(d)
            kind.append(code)
            ts.append(hour + (last - hour) / count)
        dev.append(d)
        kind.append(code)
        ts.append(last)
    t = np.array(ts, dtype=np.float64)
    order = np.argsort(t, kind="stable")
    return EventBatch(
        device=np.array(dev, dtype=np.intp)[order],
        kind=np.array(kind, dtype=np.intp)[order],
        value=np.full(len(t), math.nan),
        ts=t[order],
        received=t[order],
        untrusted=np.zeros(len(t), dtype=bool),
    )


def replay(  # noqa: PLR0917 - the replay's inputs
    homes: Homes,
    state: HouseholdState,
    history: QuietHistory,
    batch: EventBatch,
    until: float,
    absences: Absences | None = None,
) -> Learning:
    """Fold ``batch`` (time order) into ``state`` up to ``until``, learning as the live
    sweep does (``Learning``: every ``OBSERVE_S`` from the first event and at each local
    midnight; nothing of an elder under one of the declared ``absences`` then). Answers
    where the learning stands, for the live sweep to go on from (a leader started soon
    after midnight starts the new day at its first step)."""
    if not len(batch):
        return Learning()
    t = float(batch.ts[0])
    learning = Learning(day=local_day(t, history.offset_s))
    done = 0
    while t < until:
        cut = int(np.searchsorted(batch.ts, t, side="right"))
        if cut > done:
            apply(homes, state, batch.take(slice(done, cut)))
            done = cut
        absent = None if absences is None else absences.at(t, homes.n)
        learning.step(history, homes, state, t, absent, heartbeats=False)
        # The next observation, or the first moment of the next day if that comes first:
        # a day closes at its end, as it does live.
        midnight = (local_day(t, history.offset_s) + 1) * DAY_S - history.offset_s
        t = min(t + OBSERVE_S, midnight)
    if done < len(batch):
        apply(homes, state, batch.take(slice(done, None)))
    return learning
