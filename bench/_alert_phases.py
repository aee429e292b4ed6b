"""The alerting benchmark's sizes, results, and the phases that press buttons under
background traffic:

- latency: SOS presses at a steady rate while the gateway stores ≥ 5 000 background
  events/s; publish → the on-call's webhook POST, and where the time goes;
- flood: the rest of the presses (10 000 in all) as fast as they come, under the same
  traffic: every press must have its alert (the escalator's first step is deferred, so this
  counts the gateway's critical path, not the escalator's throughput);
- ingest: a burst of events stored while the webhook answers, then while it hangs.

The escalation phases (steps, after_ack) are in ``bench._alert_steps``.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bench import _alert_figures as fig
from bench._alert_fleet import DEFERRED, QUIET, button_of, put_policy
from bench._alert_rig import Rig, arrivals, background_received, finished, poll
from bench._figures import percentile
from bench._workload import DEVICE_PREFIX
from tests.rig.webhook_receiver import Mode

# Background traffic runs this long before the presses start and after they end, so that
# the presses see it at full pace.
TRAFFIC_LEAD_S: Final = 1.5
# Waiting for notifications: given up when none arrived for this long.
NOTIFY_STALL_S: Final = 15.0
# The background traffic's longest run; it is stopped when the flood is over.
TRAFFIC_MAX_S: Final = 900.0
# The backlog of background events is stored once their count has not grown for this
# long; waiting for it ends after DRAIN_MAX_S in any case.
DRAINED_AFTER_S: Final = 2.0
DRAIN_MAX_S: Final = 120.0
# The flood keeps at most this many presses waiting for their alert.
FLOOD_AHEAD: Final = 500


@dataclass(frozen=True)
class Sizes:
    latency_presses: int  # pressed at latency_rate: their publish → POST is the figure
    latency_rate: float
    presses: int  # in all: the rest are pressed at up to flood_rate
    flood_rate: float
    flood_under_traffic: int  # 1: the background traffic goes on during the flood
    background_eps: float
    background_devices: int
    step_alerts: int  # escalating on short steps through the restart
    steps_open_s: float
    steps_before_kill_s: float
    steps_after_restart_s: float
    ack_alerts: int  # opened at ack_rate, each acked within ack_within_s of its press
    ack_rate: float
    ack_within_s: float
    burst: int
    burst_presses: int

    def homes(self) -> int:
        return self.presses + self.step_alerts + self.ack_alerts + 2 * self.burst_presses


@dataclass
class Results:
    values: dict[str, Any] = field(default_factory=dict)

    def say(self, line: str) -> None:
        print(line, flush=True)


def ms(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile of ascending ``values``, rounded; None when empty."""
    found = percentile(values, q)
    return None if found is None else round(found, 1)


async def await_posts(rig: Rig, start: int, presses: dict[str, float]) -> list[fig.Post]:
    """The POSTs since ``start``, once every press has its on-call POST (or none came for
    ``NOTIFY_STALL_S``)."""
    seen, moved = -1, time.monotonic()
    while True:
        posts, _ = fig.posts_of(arrivals(rig, start))
        done = {p.device_id for p in posts if p.role == "on_call" and p.purpose == "alert"}
        if presses.keys() <= done:
            return posts
        if len(posts) != seen:
            seen, moved = len(posts), time.monotonic()
        elif time.monotonic() - moved > NOTIFY_STALL_S:
            return posts
        await asyncio.sleep(0.05)  # polling the receiver; the stall bounds it


async def alerts_of(rig: Rig, buttons: Sequence[str]) -> dict[int, float]:
    """The SOS alerts of ``buttons``: id → opened_at (epoch seconds)."""
    rows = await rig.fetch(
        "SELECT id, extract(epoch FROM opened_at)::float8 FROM alerts"
        " WHERE type = 'sos' AND device_id = ANY(%s)",
        (list(buttons),),
    )
    return {int(r[0]): float(r[1]) for r in rows}


async def latency(rig: Rig, sizes: Sizes, out: Results) -> None:
    """Latency presses under background traffic, then the flood (under the traffic too
    when ``flood_under_traffic``)."""
    traffic = await rig.traffic(
        "--devices",
        str(sizes.background_devices),
        "--first-seq",
        "1",
        "--rate",
        str(sizes.background_eps),
        "--seconds",
        str(TRAFFIC_MAX_S),
    )
    try:
        await put_policy(rig.client(), QUIET)
        start = len(rig.rx.requests)
        await asyncio.sleep(TRAFFIC_LEAD_S)  # pacing: the traffic reaches its rate first
        since = time.time()
        timed = await rig.press_paced(rig.homes.take(sizes.latency_presses), sizes.latency_rate)
        until = time.time()
        # Every timed press's alert opened (its escalation started) before the policy changes.
        await poll(lambda: alerts_of(rig, list(timed)), lambda a: len(a) == len(timed), 15)
        await put_policy(rig.client(), DEFERRED)
        if not sizes.flood_under_traffic:
            traffic.terminate()
            out.values["flood_backlog_drained_s"] = round(await _drained(rig), 1)
        flood = await _flood(rig, max(sizes.presses - len(timed), 0), sizes.flood_rate)
        alerted = await _alerted(rig, list(timed | flood.pressed))
    finally:
        if traffic.returncode is None:
            traffic.terminate()
        await traffic.wait()
    if sizes.flood_under_traffic:
        out.values["flood_backlog_drained_s"] = round(await _drained(rig), 1)
    eps = await background_received(rig, since, until) / (until - since)
    await _timed_figures(rig, sizes, start, timed, eps, out)
    out.values.update(
        background_eps=round(eps),
        sos_sent=len(timed) + len(flood.pressed),
        sos_alerted=alerted,
        flood_alerts_per_s=round(flood.rate, 1),
        flood_under_traffic=bool(sizes.flood_under_traffic),
    )
    under = "under the traffic" if sizes.flood_under_traffic else "after the traffic"
    out.say(
        f"flood: {out.values['sos_sent']} SOS presses in all, {len(flood.pressed)} as fast as"
        f" their alerts open {under}: {alerted} alerts,"
        f" {out.values['sos_sent'] - alerted} without; {flood.rate:.0f} alerts/s"
    )


async def _timed_figures(
    rig: Rig, sizes: Sizes, start: int, timed: dict[str, float], eps: float, out: Results
) -> None:
    """Publish → on-call POST of the timed presses, and where their time went."""
    posts = await await_posts(rig, start, timed)
    latencies = fig.sos_latencies_ms(timed, posts)
    out.values.update(
        sos_p50_ms=ms(latencies, 50),
        sos_p99_ms=ms(latencies, 99),
        sos_max_ms=ms(latencies, 100),
        sos_timed=len(timed),
        sos_timed_notified=len(latencies),
    )
    out.values.update(await stages(rig, timed, posts))
    out.say(
        f"latency: {len(timed)} SOS presses at {sizes.latency_rate:.0f}/s under {eps:,.0f}"
        f" events/s stored: {len(latencies)} on-call POSTs; publish → POST p50"
        f" {ms(latencies, 50)} ms, p99 {ms(latencies, 99)} ms, max {ms(latencies, 100)} ms"
    )


async def _drained(rig: Rig) -> float:
    """Wait until the gateway has stored the background events the broker still held for
    it (the count stops growing), so that the next phase starts on an idle gateway; the
    seconds it took."""
    began = time.monotonic()
    seen, moved = -1, began
    while time.monotonic() - moved < DRAINED_AFTER_S and time.monotonic() - began < DRAIN_MAX_S:
        rows = await rig.fetch(
            "SELECT count(*) FROM events WHERE device_id LIKE %s", (DEVICE_PREFIX + "%",)
        )
        if rows[0][0] != seen:
            seen, moved = rows[0][0], time.monotonic()
        await asyncio.sleep(0.5)  # polling the database; DRAIN_MAX_S bounds it
    return moved - began


@dataclass(frozen=True)
class Flood:
    pressed: dict[str, float]  # button → publish time
    rate: float  # alerts opened per second while pressing


async def _flood(rig: Rig, count: int, rate: float) -> Flood:
    """Press ``count`` buttons at up to ``rate`` a second, never more than
    ``FLOOD_AHEAD`` ahead of the alerts opened: a backlog would only move into the next
    phase, and what is counted is that every press gets its alert."""
    rows = await rig.fetch("SELECT count(*) FROM alerts")
    before = int(rows[0][0])
    loop = asyncio.get_running_loop()
    started = loop.time()
    pressed: dict[str, float] = {}
    opened = 0
    for k, home in enumerate(rig.homes.take(count)):
        while k - opened >= FLOOD_AHEAD:
            await asyncio.sleep(0.1)  # the gateway's pace, read from the database
            rows = await rig.fetch("SELECT count(*) FROM alerts")
            opened = int(rows[0][0]) - before
        delay = started + k / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the presses
        pressed[button_of(home)] = rig.press(home)
    alerts = await rig.fetch(
        "SELECT count(*), extract(epoch FROM max(opened_at))::float8 FROM alerts"
        " WHERE type = 'sos' AND device_id = ANY(%s)",
        (list(pressed),),
    )
    first = min(pressed.values(), default=0.0)
    count_open, last = alerts[0]
    return Flood(pressed, count_open / (last - first) if count_open and last > first else 0.0)


async def _alerted(rig: Rig, buttons: list[str]) -> int:
    """How many of ``buttons`` have their alert, once all have or the count stopped moving
    for ``NOTIFY_STALL_S`` (the gateway may still be working off the flood)."""
    seen, moved = -1, time.monotonic()
    while True:
        count = len(await alerts_of(rig, buttons))
        if count == len(buttons):
            return count
        if count != seen:
            seen, moved = count, time.monotonic()
        elif time.monotonic() - moved > NOTIFY_STALL_S:
            return count
        await asyncio.sleep(0.2)  # polling the database; the stall bounds it


# Where an SOS's time goes, stage by stage: the gateway received it, its alert committed,
# the escalator ran its first step, the webhook was sent, the receiver had it.
_STAGES: Final = (
    "SELECT a.device_id, extract(epoch FROM a.opened_at)::float8,"
    " extract(epoch FROM pg_xact_commit_timestamp(t.xmin))::float8,"
    " extract(epoch FROM n.created_at)::float8"
    " FROM alerts a JOIN alert_timeline t ON t.alert_id = a.id AND t.kind = 'opened'"
    " JOIN notifications n ON n.alert_id = a.id AND n.step = 0 AND n.cycle = 0"
    " WHERE a.type = 'sos' AND a.device_id = ANY(%s)"
)
_STAGE_NAMES: Final = ("received", "committed", "stepped", "sent", "arrived")


async def stages(
    rig: Rig, presses: dict[str, float], posts: list[fig.Post]
) -> dict[str, float | None]:
    """Median and p99 of each stage of the SOS path in ms (with commit timestamps only)."""
    if not rig.commit_timestamps:
        return {}
    rows = await rig.fetch(_STAGES, (list(presses),))
    sent = {p.device_id: (p.sent_at, p.at) for p in posts if p.role == "on_call"}
    parts: dict[str, list[float]] = {name: [] for name in _STAGE_NAMES}
    for device, received, committed, stepped in rows:
        if device not in sent:
            continue
        marks = [presses[device], received, committed, stepped, *sent[device]]
        for name, (before, after) in zip(_STAGE_NAMES, itertools.pairwise(marks), strict=True):
            parts[name].append((after - before) * 1000)
    found: dict[str, float | None] = {}
    for name, values in parts.items():
        values.sort()
        found[f"sos_{name}_p50_ms"] = ms(values, 50)
        found[f"sos_{name}_p99_ms"] = ms(values, 99)
    return found


async def ingest(rig: Rig, sizes: Sizes, out: Results) -> None:
    """The same burst of events stored while the webhook answers, then while it hangs (a
    dead receiver: every notification waits for the channel's timeout)."""
    await put_policy(rig.client(), QUIET)
    rates: dict[str, float] = {}
    modes: tuple[Mode, Mode] = ("ok", "hang")
    for n, mode in enumerate(modes):
        rig.rx.mode = mode
        rates[mode] = await _burst(rig, sizes, first_seq=10_000 * (n + 1))
    rig.rx.mode = "ok"
    rig.rx.release()
    ratio = rates["hang"] / rates["ok"] if rates["ok"] else None
    out.values.update(
        eps_ok_receiver=round(rates["ok"]),
        eps_dead_receiver=round(rates["hang"]),
        eps_dead_ratio=None if ratio is None else round(ratio, 3),
    )
    out.say(
        f"ingest: {sizes.burst} events while {sizes.burst_presses} SOS are notified:"
        f" {rates['ok']:,.0f} events/s with the receiver answering,"
        f" {rates['hang']:,.0f} events/s with it hanging (ratio {ratio or 0:.2f})"
    )


# A burst's rows: how many, the first received, the last committed (or, without commit
# timestamps, the last received).
_BURST_COMMITTED: Final = (
    "SELECT count(*), extract(epoch FROM min(received_at))::float8,"
    " extract(epoch FROM max(pg_xact_commit_timestamp(xmin)))::float8 FROM events"
    " WHERE device_id LIKE %s AND seq >= %s AND seq < %s"
)
_BURST_RECEIVED: Final = (
    "SELECT count(*), extract(epoch FROM min(received_at))::float8,"
    " extract(epoch FROM max(received_at))::float8 FROM events"
    " WHERE device_id LIKE %s AND seq >= %s AND seq < %s"
)


async def _burst(rig: Rig, sizes: Sizes, first_seq: int) -> float:
    """Events/s stored from a burst published while SOS presses are being notified."""
    homes = rig.homes.take(sizes.burst_presses)
    pressing = asyncio.create_task(rig.press_paced(homes, sizes.burst_presses / 4.0))
    await asyncio.sleep(0.5)  # pacing: the first notifications are under way
    traffic = await rig.traffic(
        "--devices",
        str(sizes.background_devices),
        "--first-seq",
        str(first_seq),
        "--burst",
        str(sizes.burst),
    )
    await finished(traffic)
    await pressing
    query = _BURST_COMMITTED if rig.commit_timestamps else _BURST_RECEIVED
    end = time.monotonic() + 120
    while True:
        rows = await rig.fetch(query, (DEVICE_PREFIX + "%", first_seq, first_seq + 10_000))
        count, first, last = rows[0]
        if count >= sizes.burst or time.monotonic() > end:
            break
        await asyncio.sleep(0.5)  # polling the database; the deadline bounds it
    buttons = [button_of(h) for h in homes]
    alerted = await poll(lambda: alerts_of(rig, buttons), lambda a: len(a) == len(homes), 10)
    if len(alerted) != len(homes):
        print(f"  ({len(homes) - len(alerted)} SOS of the burst without alert)", flush=True)
    return float(count) / (last - first) if count and last > first else 0.0
