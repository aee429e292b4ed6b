"""``tanfang evaluate``: the gateway's own detectors over recorded files, in event time,
scored against the truth (contract §3, §5).

Events are read in file order (the order they were published) and folded into the
household state; every ``sweep_s`` of event time the sweep runs, exactly the function the
gateway runs on the wall clock; its findings open, refresh and clear alerts as
``open_alert`` does. The first ``learn_days`` local days are history: the baselines learn
from them (and keep learning, rebuilt at every local midnight, as the gateway refreshes
them daily); nothing of them is swept or scored, as a gateway replays its stored history
into the state and the baselines and raises nothing of it. Emergencies (sos, fall, smoke,
gas) are alerts from their events at once."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Final, Self

import numpy as np
import typer

from gateway.detectors import (
    EventBatch,
    QuietHistory,
    apply,
    build,
    codes,
    mark_offline,
    new_state,
    sweep,
)
from gateway.detectors.baseline import Baseline
from gateway.detectors.learning import Learning
from gateway.detectors.localtime import DAY_S, local_day, utc_offset_s
from gateway.detectors.state import HouseholdState, excuse
from gateway.detectors.sweep import DEFAULT_OFF, RULE_NAMES, cleared, rule_names, rules_off
from tanfang.alert_book import AlertBook
from tanfang.eval_absences import DeclaredError
from tanfang.eval_ahead import read_events_ahead
from tanfang.eval_health import HealthBook
from tanfang.eval_input import (
    OFFLINE,
    ONLINE,
    HomesFile,
    LeftOut,
    load_homes_file,
    read_truth,
)
from tanfang.eval_prompts import PromptBook
from tanfang.eval_score import Alert, score

SWEEP_S: Final = 10.0
LEARN_DAYS: Final = 14
_URGENT: Final = codes.kind_table([*codes.EMERGENCY_KINDS, codes.CANCEL])


@dataclass(frozen=True, slots=True)
class EvalOptions:
    homes: Path
    events: Path
    truth: Path
    learn_days: int = LEARN_DAYS
    sweep_s: float = SWEEP_S
    zone: str = "Asia/Shanghai"
    alerts: Path | None = None
    off: tuple[str, ...] = DEFAULT_OFF  # alert types and rules that do not run, as the gateway's


@dataclass(slots=True)
class _Run:
    file: HomesFile
    offset_s: float
    book: AlertBook
    history: QuietHistory
    sweep_s: float
    learn_days: int
    off: frozenset[int]
    state: HouseholdState
    baseline: Baseline
    health: HealthBook  # device health, as the gateway's loop (``eval_health``)
    prompts: PromptBook  # check-in prompts and their misses (``eval_prompts``)
    start: float = math.nan
    since: float = math.nan
    now: float = math.nan
    learning: Learning = field(default_factory=Learning)
    events: int = 0

    @classmethod
    def fresh(
        cls,
        file: HomesFile,
        offset_s: float,
        sweep_s: float,
        learn_days: int,
        off: frozenset[int] = rules_off(DEFAULT_OFF),
    ) -> Self:
        """A run over ``file`` before its first event: no history, cold baselines."""
        history = QuietHistory(offset_s, file.homes.n)
        return cls(
            file=file,
            offset_s=offset_s,
            book=AlertBook(
                file.homes.elder_ids, offset_s=offset_s, device_ids=file.homes.device_ids
            ),
            history=history,
            sweep_s=sweep_s,
            learn_days=learn_days,
            off=off,
            state=new_state(file.homes),
            baseline=build(history, file.homes, file.profiles),
            health=HealthBook(file.homes),
            prompts=PromptBook(
                file.elders, file.buttons, offset_s, len(file.homes.device_ids), file.watch
            ),
        )

    def begin(self, t: float) -> None:
        self.start = t
        self.health.since = t  # silence is counted from the file's first event
        midnight = local_day(t, self.offset_s) * DAY_S - self.offset_s
        self.since = midnight + self.learn_days * DAY_S
        self.now = math.ceil(t / self.sweep_s) * self.sweep_s

    def feed(self, part: EventBatch) -> None:
        homes = self.file.homes
        self.health.feed(part)
        kind = part.kind
        status = kind < -1
        if status.any():
            mark_offline(homes, self.state, part.device[kind == OFFLINE])
            part = part.take((~status | (kind == ONLINE)).nonzero()[0])
        apply(homes, self.state, part)
        self.prompts.feed(homes, part)
        self.events += len(part)
        urgent = codes.in_kinds(_URGENT, part.kind)
        # A device of no elder: its alert's subject is the device, which truth never names.
        urgent &= homes.device_slot[part.device] >= 0
        times = part.time()
        for i in urgent.nonzero()[0]:
            self._emergency(part, int(i), float(times[i]))

    def _emergency(self, part: EventBatch, i: int, at: float) -> None:
        slot = int(self.file.homes.device_slot[part.device[i]])
        k = int(part.kind[i])
        if k == codes.CANCEL:
            self.book.emergency(slot, "sos", at, clear=True)
            return
        name = codes.EMERGENCY_KINDS[k]
        clear = name in ("smoke", "gas") and part.value[i] == 0.0
        self.book.emergency(slot, name, at, clear=clear)

    def tick(self) -> None:
        homes, now = self.file.homes, self.now
        absent = self.file.absences.at(now, homes.n)
        excuse(self.state, absent, now)
        if self.learning.step(self.history, homes, self.state, now, absent):
            self.baseline = build(self.history, homes, self.file.profiles)
        # Every day, history included: a device dead since day 10 is not news on day 14.
        opened = self.health.sweep(self.state, now)
        off = codes.DEVICE_OFFLINE in self.off
        self.book.opened += [a for a in opened if not (off and a.type == "device_offline")]
        missed = self.prompts.tick(homes, self.file.absences, now)  # prompts go out in history too
        if now < self.since:
            # History, as a gateway's memory is: learned from, never swept (a leader replays
            # the stored days into the state and the baselines and raises nothing of them).
            return
        self.book.opened += missed
        found = sweep(homes, self.state, self.baseline, now, self.offset_s, absent, self.off)
        done = cleared(homes, self.state, self.book.opened_at, self.baseline, absent)
        self.book.findings(found, done, now)


def evaluate(options: EvalOptions) -> dict[str, Any]:
    """The §5 object (plus ``run_time_s`` and what was read) for the three files."""
    began = time.perf_counter()
    file = load_homes_file(options.homes)
    offset = utc_offset_s(options.zone)
    run = _Run.fresh(file, offset, options.sweep_s, options.learn_days, rules_off(options.off))
    left_out = LeftOut()
    for chunk in read_events_ahead(options.events, file.homes.device_ids, left_out):
        _run_chunk(run, chunk)
    truth = read_truth(options.truth)
    if options.alerts is not None:
        write_alerts(options.alerts, run.book.opened, offset)
    report = _report(run, truth, time.perf_counter() - began)
    # Lines that are no event (not JSON, …): left out as dead letters, and said.
    report["lines_left_out"] = left_out.lines
    if left_out.lines:
        report["first_line_left_out"] = left_out.first
    return report


def write_alerts(path: Path, alerts: list[Alert], offset_s: float) -> None:
    """Every alert opened, one JSON object a line, in the order they opened."""
    zone = timezone(timedelta(seconds=offset_s))
    with path.open("w", encoding="utf-8") as out:
        for a in alerts:
            opened = datetime.fromtimestamp(a.opened_at, zone).isoformat(timespec="seconds")
            row = {"elder_id": a.elder_id, "type": a.type, "opened_at": opened}
            if a.device_id is not None:
                row["device_id"] = a.device_id
            if a.summary:
                row |= {"summary": a.summary, "summary_zh": a.summary_zh}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _run_chunk(run: _Run, chunk: EventBatch) -> None:
    finite = np.isfinite(chunk.received).nonzero()[0]
    if math.isnan(run.start):
        if not len(finite):  # status lines only, before any event
            run.feed(chunk)
            return
        run.begin(float(chunk.received[finite[0]]))
    last = float(chunk.received[-1])
    ticks = np.arange(run.now, last, run.sweep_s) if last >= run.now else np.empty(0)
    cuts = np.searchsorted(chunk.received, ticks, side="right")
    pos = 0
    for tick, cut in zip(ticks.tolist(), cuts.tolist(), strict=True):
        if cut > pos:
            run.feed(chunk.take(slice(pos, cut)))
            pos = cut
        run.now = tick
        run.tick()
    if len(ticks):
        run.now = float(ticks[-1]) + run.sweep_s
    run.feed(chunk.take(slice(pos, None)))


def _report(run: _Run, truth: list[dict[str, Any]], elapsed: float) -> dict[str, Any]:
    homes = run.file.homes
    end = run.now
    days = max(0.0, (end - run.since) / DAY_S) if not math.isnan(run.since) else 0.0
    out = score(run.book.opened, truth, since=run.since, home_days=homes.n * days)
    kits: dict[str, list[str]] = {}
    for elder, kit in run.file.kits.items():
        kits.setdefault(kit, []).append(elder)
    out["by_kit"] = {
        kit: score(
            run.book.opened, truth, since=run.since, home_days=len(ids) * days, elders=set(ids)
        )
        for kit, ids in sorted(kits.items())
    }
    out["homes"] = homes.n
    out["events"] = run.events
    out["sweep_s"] = run.sweep_s
    out["learn_days"] = run.learn_days
    out["rules_off"] = sorted(RULE_NAMES[k] for k in run.off)
    out["checkin_prompts"] = run.prompts.prompts  # sent as the gateway would (eval_prompts)
    out["run_time_s"] = round(elapsed, 1)
    return out


def evaluate_command(  # noqa: PLR0917 - typer's options
    homes: Annotated[Path, typer.Option("--homes", help="homes.json (contract §4)")],
    events: Annotated[Path, typer.Option("--events", help="events.jsonl (contract §4)")],
    truth: Annotated[Path, typer.Option("--truth", help="truth.jsonl (contract §4)")],
    learn_days: Annotated[
        int, typer.Option("--learn-days", help="first local days learned from, not scored")
    ] = LEARN_DAYS,
    sweep_s: Annotated[
        float, typer.Option("--sweep-s", help="seconds of event time between sweeps")
    ] = SWEEP_S,
    alerts: Annotated[
        Path | None, typer.Option("--alerts", help="write every alert opened here (JSON lines)")
    ] = None,
    off: Annotated[
        str,
        typer.Option(
            "--off",
            help="alert types (or the rule not_back) that do not run, comma-separated ('': none)",
        ),
    ] = ",".join(DEFAULT_OFF),
) -> None:
    """Run the gateway's detectors over recorded events in event time and print the
    evaluation (contract §5) as one JSON object, with its own run time."""
    if sweep_s <= 0 or learn_days < 0:
        raise typer.BadParameter("--sweep-s must be > 0 and --learn-days ≥ 0")
    try:
        types = rule_names(off)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--off") from None
    options = EvalOptions(
        homes, events, truth, learn_days=learn_days, sweep_s=sweep_s, alerts=alerts, off=types
    )
    try:
        report = evaluate(options)
    except DeclaredError as exc:
        raise typer.BadParameter(str(exc), param_hint="--homes") from None
    typer.echo(json.dumps(report, ensure_ascii=False))
