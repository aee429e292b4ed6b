"""The alerting benchmark's escalation phases, on the short steps (0 / 2 / 4 s, then every
3 s), with the earlier phases' alerts still open:

- steps: alerts escalate; the ``tanfang serve`` process is killed (``kill -9``) mid-way and
  started again: how late each step arrives against its due time, each exactly once;
- after_ack: more alerts, each acked through the API at a random moment of its escalation
  (and the steps phase's alerts too): nothing asking for an ack is sent after the ack
  commits.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from bench import _alert_figures as fig
from bench._alert_fleet import SHORT, button_of, put_policy
from bench._alert_phases import Results, Sizes, alerts_of, ms
from bench._alert_rig import Rig, arrivals, poll

# After the last ack: a notification sent late would show by then (the longest gap between
# steps, the delivery lease, and the receiver's own clock).
AFTER_ACK_SETTLE_S: Final = 6.0
# A step due this close before its alert's ack request may rightly be cancelled by the ack.
ACK_MARGIN_S: Final = 1.0
# Steps due from this long before the kill until this long after the restart is ready
# count as the restart's (the issue allows a restart 5 s to resume).
RESTART_MARGIN_S: Final = 1.0
# How long an ack waits for its alert to exist (the press is on its way).
FIND_ALERT_S: Final = 10.0


@dataclass
class StepRun:
    """The alerts on the short steps, and the restart's moments (epoch seconds)."""

    start: int  # the receiver's first request of the phase
    buttons: list[str] = field(default_factory=list)
    killed_at: float = 0.0
    ready_at: float = 0.0
    resumed_s: float | None = None


async def steps(rig: Rig, sizes: Sizes, out: Results) -> StepRun:
    await put_policy(rig.client(), SHORT)
    run = StepRun(len(rig.rx.requests))
    homes = rig.homes.take(sizes.step_alerts)
    run.buttons = list(await rig.press_paced(homes, sizes.step_alerts / sizes.steps_open_s))
    await asyncio.sleep(sizes.steps_before_kill_s)  # pacing: the steps flow
    assert rig.serve is not None
    run.killed_at = time.time()
    rig.serve.kill9()
    spawned = await rig.start_serve()
    run.ready_at = time.time()
    await asyncio.sleep(sizes.steps_after_restart_s)  # pacing: the steps flow again
    after = [a.at for a in arrivals(rig, run.start) if a.at > spawned]
    run.resumed_s = min(after) - spawned if after else None
    rows = await rig.fetch("SELECT count(*) FROM alerts WHERE status = 'open'")
    out.values["open_alerts"] = int(rows[0][0])
    out.say(
        f"steps: {len(run.buttons)} alerts on short steps, {rows[0][0]} alerts open;"
        f" kill -9 after {sizes.steps_before_kill_s:.0f} s, ready again in"
        f" {run.ready_at - run.killed_at:.1f} s, first POST {run.resumed_s or 0:.1f} s after"
        " the new process was spawned"
    )
    return run


@dataclass(frozen=True, slots=True)
class Ack:
    alert_id: int | None
    sent: float  # when the request went (epoch s)
    acked_at: float | None  # the answer's acked_at; None when refused
    status: int


async def _ack(rig: Rig, button: str, at: float) -> Ack:
    """Ack the alert of ``button`` through the API at ``at`` (epoch seconds)."""
    await asyncio.sleep(max(at - time.time(), 0))  # the ack's random moment
    found = await poll(lambda: alerts_of(rig, [button]), bool, FIND_ALERT_S)
    if not found:
        return Ack(None, time.time(), None, 0)
    alert_id = next(iter(found))
    sent = time.time()
    answer = await rig.client().post(f"/api/v1/alerts/{alert_id}/ack", json={"by": "bench"})
    acked_at = answer.json().get("acked_at") if answer.status_code == 200 else None
    moment = None if acked_at is None else datetime.fromisoformat(acked_at).timestamp()
    return Ack(alert_id, sent, moment, answer.status_code)


async def after_ack(rig: Rig, sizes: Sizes, run: StepRun, out: Results) -> None:
    """Ack the steps phase's alerts and ``ack_alerts`` new ones at random moments of their
    escalation, then judge both phases."""
    chance = random.Random(11)
    now = time.time()
    acking = [
        asyncio.create_task(_ack(rig, b, now + chance.uniform(0, sizes.ack_within_s)))
        for b in run.buttons
    ]
    loop = asyncio.get_running_loop()
    began = loop.time()
    homes = rig.homes.take(sizes.ack_alerts)
    for k, home in enumerate(homes):
        await asyncio.sleep(max(began + k / sizes.ack_rate - loop.time(), 0))  # pacing
        pressed = rig.press(home)
        moment = pressed + chance.uniform(0, sizes.ack_within_s)
        acking.append(asyncio.create_task(_ack(rig, button_of(home), moment)))
    acks = await asyncio.gather(*acking)
    await asyncio.sleep(AFTER_ACK_SETTLE_S)  # a late notification would show by now
    ended = time.time()
    await _judge(rig, run, [button_of(h) for h in homes], acks, ended, out)


async def _judge(
    rig: Rig,
    run: StepRun,
    ack_buttons: list[str],
    acks: list[Ack],
    ended: float,
    out: Results,
) -> None:
    opened = await alerts_of(rig, run.buttons + ack_buttons)
    posts, malformed = fig.posts_of(arrivals(rig, run.start))
    posts = [p for p in posts if p.alert_id in opened]
    rows = await _rows(rig, list(opened))
    acked = {a.alert_id: a.acked_at for a in acks if a.alert_id and a.acked_at}
    commits = await _ack_commits(rig, list(acked)) if rig.commit_timestamps else acked
    late = fig.after_ack(posts, commits)
    loose = fig.after_ack(posts, acked)
    statuses = Counter(a.status for a in acks)
    out.values.update(
        after_ack=len(late),
        after_ack_by_acked_at=len(loose),
        acks=len(acked),
        ack_statuses={str(k): v for k, v in sorted(statuses.items())},
        malformed_posts=malformed,
    )
    _judge_steps(run, opened, posts, rows, acks, ended, out)
    _keep(rig, run, opened, posts, rows, commits)
    basis = "its ack committed" if rig.commit_timestamps else "its acked_at"
    out.say(
        f"after_ack: {len(acked)} alerts acked at random moments of their escalation"
        f" (answers {dict(statuses)}): {len(late)} notifications sent after {basis}"
        f" ({len(loose)} after its acked_at)"
    )


def _judge_steps(
    run: StepRun,
    opened: dict[int, float],
    posts: list[fig.Post],
    rows: dict[int, fig.Row],
    acks: list[Ack],
    ended: float,
    out: Results,
) -> None:
    def group(alert_id: int, due: float) -> str:
        if opened[alert_id] > run.ready_at:
            return "ack_phase"
        if due < run.killed_at - RESTART_MARGIN_S:
            return "before_kill"
        if due <= run.ready_at + RESTART_MARGIN_S:
            return "restart"
        return "after_restart"

    late = fig.lateness(posts, rows, opened, SHORT, group)
    dups = fig.duplicates(posts, rows)
    until = {a: ended for a in opened}
    until.update({a.alert_id: min(a.sent - ACK_MARGIN_S, ended) for a in acks if a.alert_id})
    missing = fig.missing_steps(posts, rows, opened, SHORT, until)
    steady, restart = late.get("before_kill", []), late.get("restart", [])
    out.values.update(
        steps_late_p99_ms=ms(steady, 99),
        steps_duplicated=dups.by_key,
        steps_duplicated_same_id=dups.same_id,
        steps_unknown_id=dups.unknown,
        steps_missing=missing,
        steps_received=len(late["all"]),
        steps_late_p50_ms=ms(steady, 50),
        steps_late_max_ms=ms(steady, 100),
        steps_early_min_ms=ms(late["all"], 0),
        steps_late_p99_ms_after_restart=ms(late.get("after_restart", []), 99),
        steps_late_p99_ms_ack_phase=ms(late.get("ack_phase", []), 99),
        steps_late_p99_ms_all=ms(late["all"], 99),
        restart_steps=len(restart),
        restart_late_max_ms=ms(restart, 100),
        restart_ready_s=round(run.ready_at - run.killed_at, 2),
        restart_first_post_s=None if run.resumed_s is None else round(run.resumed_s, 2),
    )
    out.say(
        f"steps: {len(late['all'])} step notifications; before the kill: lateness p50"
        f" {ms(steady, 50)} ms, p99 {ms(steady, 99)} ms, max {ms(steady, 100)} ms; the"
        f" {len(restart)} due while it restarted: max {ms(restart, 100)} ms; after it:"
        f" p99 {out.values['steps_late_p99_ms_after_restart']} ms; in the ack phase: p99"
        f" {out.values['steps_late_p99_ms_ack_phase']} ms; sent twice {dups.by_key} (same id"
        f" {dups.same_id}), missing {missing}"
    )


async def _ack_commits(rig: Rig, alert_ids: list[int]) -> dict[int, float]:
    """When each ack committed (PostgreSQL's commit timestamp of its timeline row)."""
    rows = await rig.fetch(
        "SELECT alert_id, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8"
        " FROM alert_timeline WHERE kind = 'acked' AND alert_id = ANY(%s)",
        (alert_ids,),
    )
    return {int(r[0]): float(r[1]) for r in rows}


async def _rows(rig: Rig, alert_ids: list[int]) -> dict[int, fig.Row]:
    rows = await rig.fetch(
        "SELECT id, alert_id, cycle, step, purpose, recipient_key FROM notifications"
        " WHERE alert_id = ANY(%s)",
        (alert_ids,),
    )
    return {int(r[0]): fig.Row(int(r[0]), int(r[1]), r[2], r[3], r[4], r[5]) for r in rows}


def _keep(
    rig: Rig,
    run: StepRun,
    opened: dict[int, float],
    posts: list[fig.Post],
    rows: dict[int, fig.Row],
    acked: dict[int, float],
) -> None:
    """Every notification of the escalation phases, one JSON line each, in the work
    directory (``--logs`` keeps it): for looking into a figure after the run."""
    with (rig.workdir / "steps.jsonl").open("w") as sink:
        sink.write(json.dumps({"killed_at": run.killed_at, "ready_at": run.ready_at}) + "\n")
        for post in posts:
            row = rows.get(post.notification_id)
            due = None
            if row is not None and row.alert_id in opened:
                due = opened[row.alert_id] + SHORT.offset_s(row.step)
            line = {
                "id": post.notification_id,
                "alert": post.alert_id,
                "step": None if row is None else row.step,
                "cycle": None if row is None else row.cycle,
                "purpose": post.purpose,
                "due": due,
                "sent_at": post.sent_at,
                "at": post.at,
                "acked": acked.get(post.alert_id),
            }
            sink.write(json.dumps(line) + "\n")
