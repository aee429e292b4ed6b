"""Check-in prompts in a file run: ``tanfang evaluate`` sends them as the gateway's loop
would and opens ``missed_checkin`` as the leader's query does (``tanfang.eval_prompts``);
the simulator answers the same prompts and writes the truth (``simulators.prompts``)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from typer.testing import CliRunner

from gateway.detectors.events import EventBatch
from gateway.detectors.localtime import utc_offset_s
from simulators.clock import TZ
from simulators.world import build_world
from tanfang.cli import app
from tanfang.eval_input import HomesFile, load_homes_file
from tanfang.eval_prompts import PromptBook, prompted

OFFSET = utc_offset_s("Asia/Shanghai")
NAN = math.nan
C_ELDER = {  # 65, lives alone: class C
    "birth_date": "1961-03-01",
    "living_arrangement": "alone",
    "visit_consent": True,
    "town": "長沙",
}
A_ELDER = {  # 86, alone: class A
    "birth_date": "1940-03-01",
    "living_arrangement": "alone",
    "town": "長沙",
}


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).timestamp()


def _file(tmp_path: Path, elders: list[dict[str, Any]], doc: dict[str, Any]) -> HomesFile:
    devices = []
    for i in range(len(elders)):
        devices += [
            {"id": f"btn-{i}", "elder_id": f"E{i}", "type": "sos_button", "room": "bedroom"},
            {"id": f"pir-{i}", "elder_id": f"E{i}", "type": "motion", "room": "living_room"},
            {"id": f"plug-{i}", "elder_id": f"E{i}", "type": "power_meter", "room": "kitchen"},
        ]
    body = {"elders": [e | {"id": f"E{i}"} for i, e in enumerate(elders)], "devices": devices}
    path = tmp_path / "homes.json"
    path.write_text(json.dumps(body | doc))
    return load_homes_file(path)


def _events(file: HomesFile, rows: list[tuple[str, str, str, float]]) -> EventBatch:
    """``(device id, kind, local time, value)`` rows."""
    from gateway.detectors.codes import KIND

    ts = np.array([_at(t) for _, _, t, _ in rows])
    return EventBatch(
        device=file.homes.device_ids.lookup([d for d, _, _, _ in rows]).astype(np.intp),
        kind=np.array([KIND[k] for _, k, _, _ in rows], dtype=np.intp),
        value=np.array([v for _, _, _, v in rows]),
        ts=ts,
        received=ts,
        untrusted=np.zeros(len(rows), dtype=bool),
    )


def _run(file: HomesFile, events: EventBatch, until: str) -> tuple[PromptBook, list[str]]:
    """Feed ``events`` in time order, ticking every 30 s from 2026-07-19 00:00 to ``until``;
    the elders of the ``missed_checkin`` alerts opened, and when."""
    book = PromptBook(file.elders, file.buttons, OFFSET, len(file.homes.device_ids), file.watch)
    opened = []
    times = events.time()
    for now in np.arange(_at("2026-07-19T00:00:00"), _at(until), 30.0):
        book.feed(file.homes, events.take(((times > now - 30.0) & (times <= now)).nonzero()[0]))
        for alert in book.tick(file.homes, file.absences, float(now)):
            local = datetime.fromtimestamp(alert.opened_at, TZ)
            opened.append(f"{alert.elder_id} {local:%d %H:%M} {alert.device_id}")
    return book, opened


def test_an_unanswered_prompt_in_a_silent_home_is_missed_at_the_windows_end(
    tmp_path: Path,
) -> None:
    """Prompt day, the 20th, 09:00: E0 (class C) silent since 08:00 → missed at 20:00; E1
    moved at 15:00; E2 checked in on the 19th (the month's online visit: not prompted); E3
    is class A (never prompted); E4 declared an absence over the afternoon."""
    file = _file(
        tmp_path,
        [C_ELDER, C_ELDER, C_ELDER, A_ELDER, C_ELDER],
        {
            "absences": {
                "E4": [{"from": "2026-07-20T13:00:00+08:00", "to": "2026-07-21T10:00:00+08:00"}]
            }
        },
    )
    events = _events(
        file,
        [
            ("btn-2", "checkin", "2026-07-19T10:00:00", NAN),
            ("pir-0", "motion", "2026-07-20T08:00:00", NAN),
            ("pir-1", "motion", "2026-07-20T15:00:00", NAN),
        ],
    )
    book, opened = _run(file, events, "2026-07-21T12:00:00")
    # E0, E1 and E4; again on the 21st: due every day from the prompt day until the month's
    # visit is made.
    assert book.prompts == 6
    assert opened == ["E0 20 20:00 btn-0"]


def test_an_appliance_switched_on_after_the_prompt_is_someone_at_home(tmp_path: Path) -> None:
    """E0's TV, on since before the prompt and reporting every 15 min, says nothing of
    anyone: missed. E1's kettle, off before and switched on at 14:00: no miss (the leader's
    query, ``gateway.detect_repo._ACTIVE``, counts the same)."""
    file = _file(tmp_path, [C_ELDER, C_ELDER], {})
    rows = [  # 08:00 to 17:45
        ("plug-0", "power", f"2026-07-20T{8 + k // 4:02d}:{k % 4 * 15:02d}:00", 120.0)
        for k in range(40)
    ]
    rows += [
        ("plug-1", "power", "2026-07-20T08:00:00", 0.0),
        ("plug-1", "power", "2026-07-20T14:00:00", 1850.0),
        ("plug-1", "power", "2026-07-20T14:03:00", 0.0),
    ]
    book, opened = _run(
        file, _events(file, sorted(rows, key=lambda r: r[2])), "2026-07-21T00:00:00"
    )
    assert (book.prompts, opened) == (2, ["E0 20 20:00 btn-0"])


def test_a_check_in_press_after_the_prompt_answers_it(tmp_path: Path) -> None:
    file = _file(tmp_path, [C_ELDER], {})
    events = _events(file, [("btn-0", "checkin", "2026-07-20T19:59:00", NAN)])
    book, opened = _run(file, events, "2026-07-21T00:00:00")
    assert (book.prompts, opened) == (1, [])


def test_a_watch_period_prompts_daily_whoever_has_not_checked_in_today(tmp_path: Path) -> None:
    """Watch over 長沙 on the 22nd-23rd: the month is covered (a check-in on the 21st), yet
    prompts go out each watch day; a watch over another town prompts nobody here."""
    file = _file(
        tmp_path,
        [C_ELDER],
        {
            "watch_periods": [
                {"town": "長沙", "from": "2026-07-22", "to": "2026-07-23", "reason": "heat"},
                {"town": "赤坎", "from": "2026-07-24", "to": "2026-07-24", "reason": "heat"},
            ]
        },
    )
    events = _events(
        file,
        [
            ("btn-0", "checkin", "2026-07-20T08:00:00", NAN),
            ("btn-0", "checkin", "2026-07-23T08:30:00", NAN),  # before the 23rd's prompt
        ],
    )
    book, opened = _run(file, events, "2026-07-25T00:00:00")
    assert book.prompts == 1  # the 22nd only
    assert opened == ["E0 22 20:00 btn-0"]


def test_the_rule_handed_to_the_simulator_is_the_class_and_the_consent() -> None:
    on = date(2026, 7, 20)
    assert prompted(C_ELDER, on)
    assert not prompted(C_ELDER | {"visit_consent": False}, on)
    assert not prompted(A_ELDER, on)
    assert not prompted({"birth_date": "1990-01-01", "living_arrangement": "alone"}, on)


def _simulate(tmp_path: Path, start: datetime, incidents: list[dict[str, Any]]) -> list[str]:
    """Three days of 12 homes of seed 7 (no random incidents); the evaluate arguments, and
    the simulator's output last."""
    scenario = tmp_path / "scenario.json"
    scenario.write_text(json.dumps(incidents))
    files = {x: str(tmp_path / x) for x in ("homes.json", "events.jsonl", "truth.jsonl")}
    result = CliRunner().invoke(
        app,
        [
            "simulate", "--households", "12", "--seed", "7", "--start", start.isoformat(),
            "--duration", "3d", "--scenario", str(scenario), "--incident-rate", "0",
            "--out", files["events.jsonl"], "--truth", files["truth.jsonl"],
            "--homes", files["homes.json"],
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return ["--homes", files["homes.json"], "--events", files["events.jsonl"],
            "--truth", files["truth.jsonl"], result.output]  # fmt: skip


def test_evaluate_finds_the_missed_checkin_of_an_elder_out_all_day(tmp_path: Path) -> None:
    """Simulated: an elder living alone who is prompted on the prompt day (class B/C, no
    check-in in the file before 08:50 that day) goes out at 08:50 and is not back that
    night — the prompt of 09:00 is not answered, the home is silent: one ``missed_checkin``
    incident from 20:00, found by the next sweep; every other prompt answered or followed
    by someone up at home, and no false alarm."""
    start = datetime(2026, 7, 19, tzinfo=TZ)
    at = "2026-07-20T08:50:00+08:00"
    plain = _simulate(tmp_path, start, [])
    pressed = set()
    for line in Path(plain[3]).read_text().splitlines():
        row = json.loads(line)
        if row.get("event", {}).get("kind") == "checkin" and row["event"]["ts"] < at:
            pressed.add(row["device_id"])
    world = build_world(12, 7, start)
    home = next(
        h.index
        for h in world.homes
        if h.occupants == 1
        and prompted(h.elder, date(2026, 7, 20))
        and world.devices[h.roles["sos"]].id not in pressed
    )
    args = _simulate(tmp_path, start, [{"type": "not_returning", "home": home, "at": at}])
    *args, output = args
    sent = int(output.split(" check-in prompts")[0].split("\n")[-1])
    truth = [json.loads(x) for x in Path(args[5]).read_text().splitlines()]
    missed = [t for t in truth if t["type"] == "missed_checkin"]
    assert [(t["elder_id"], t["start"][:16]) for t in missed] == [
        (world.homes[home].elder_id, "2026-07-20T20:00")
    ]
    evaluate = ["evaluate", *args, "--learn-days", "1", "--sweep-s", "30"]
    report = json.loads(CliRunner().invoke(app, evaluate).output)
    assert report["checkin_prompts"] == sent  # the simulator and the run prompted alike
    found = report["by_type"]["missed_checkin"]
    assert (found["incidents"], found["detected"]) == (1, 1)
    assert found["delay_median_s"] <= 30
    assert report["false_alarms"]["by_type"].get("missed_checkin", 0) == 0


def test_a_run_begun_after_the_prompt_day_prompts_as_the_evaluation_does(tmp_path: Path) -> None:
    """A run from the 25th: nobody's check-ins of the month are in the file, so every
    class B/C elder is due — from the run's first 09:00, not on the plan day before it
    (the simulator once prompted on the 24th, unseen by a gateway fed from the file)."""
    *args, output = _simulate(tmp_path, datetime(2026, 7, 25, tzinfo=TZ), [])
    sent = int(output.split(" check-in prompts")[0].split("\n")[-1])
    evaluate = ["evaluate", *args, "--learn-days", "1", "--sweep-s", "30"]
    report = json.loads(CliRunner().invoke(app, evaluate).output)
    assert sent > 0
    assert report["checkin_prompts"] == sent
