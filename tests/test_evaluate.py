"""`tanfang evaluate` on a small simulated file, and the §5 scoring rules on hand-made
alerts and truth."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from tanfang.cli import app
from tanfang.eval_ahead import read_events_ahead
from tanfang.eval_input import LeftOut, load_homes_file, read_events
from tanfang.eval_score import Alert, score

START = "2026-07-06T00:00:00+08:00"


def _simulate(
    tmp_path: Path,
    incidents: list[dict[str, Any]] | None = None,
    *extra: str,
    homes: int = 4,
    days: int = 4,
) -> list[str]:
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            incidents
            or [
                {"type": "sos", "home": 0, "at": "+62h"},
                {"type": "smoke", "home": 1, "at": "+60h"},
                {"type": "sos", "home": 2, "at": "+80h"},
            ]
        )
    )
    files = {x: str(tmp_path / x) for x in ("homes.json", "events.jsonl", "truth.jsonl")}
    result = CliRunner().invoke(
        app,
        [
            "simulate", "--households", str(homes), "--seed", "7", "--start", START,
            "--duration", f"{days}d", "--scenario", str(scenario), "--out", files["events.jsonl"],
            "--truth", files["truth.jsonl"], "--homes", files["homes.json"], *extra,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return ["--homes", files["homes.json"], "--events", files["events.jsonl"],
            "--truth", files["truth.jsonl"]]  # fmt: skip


def test_evaluate_prints_the_contract_evaluation_of_a_simulated_file(tmp_path: Path) -> None:
    args = _simulate(tmp_path)
    result = CliRunner().invoke(app, ["evaluate", *args, "--learn-days", "2", "--sweep-s", "30"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["home_days"] == 8.0  # 4 homes × the 2 days after the 2 learned
    assert {"by_type", "false_alarms", "alerts_while_away", "run_time_s"} <= set(report)
    for kind, count in (("sos", 2), ("smoke", 1)):
        row = report["by_type"][kind]
        assert row["incidents"] == count
        assert row["recall"] == 1.0
        assert abs(row["delay_median_s"]) < 2.0
    assert report["false_alarms"]["by_type"].get("sos", 0) == 0
    assert report["alerts_while_away"] == 0


def test_a_rule_is_left_out_as_the_gateway_leaves_it_and_an_unknown_one_refused(
    tmp_path: Path,
) -> None:
    args = [*_simulate(tmp_path), "--learn-days", "2", "--sweep-s", "30"]
    default = json.loads(CliRunner().invoke(app, ["evaluate", *args]).output)
    assert default["rules_off"] == ["activity_drop", "not_back"]
    every = CliRunner().invoke(app, ["evaluate", *args, "--off", ""])
    assert json.loads(every.output)["rules_off"] == []
    fewer = CliRunner().invoke(app, ["evaluate", *args, "--off", "inactivity,activity_drop"])
    report = json.loads(fewer.output)
    assert report["rules_off"] == ["activity_drop", "inactivity"]
    assert report["false_alarms"]["by_type"].get("inactivity", 0) == 0
    bad = CliRunner().invoke(app, ["evaluate", *args, "--off", "decline"])
    assert bad.exit_code == 2
    assert "'decline' is not a detector's alert type" in bad.output


def test_a_bad_sweep_interval_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("")
    args = ["--homes", str(tmp_path / "x"), "--events", str(tmp_path / "x")]
    result = CliRunner().invoke(app, ["evaluate", *args, "--truth", "x", "--sweep-s", "0"])
    assert result.exit_code == 2


def _incident(
    kind: str, start: float, end: float | None = None, elder: str = "A"
) -> dict[str, Any]:
    return {
        "elder_id": elder,
        "type": kind,
        "start_s": start,
        "end_s": float("nan") if end is None else end,
    }


def test_scoring_matches_the_window_and_counts_the_rest_as_false_alarms() -> None:
    truth = [
        _incident("inactivity", 10_000.0, 20_000.0),
        _incident("sos", 50_000.0),  # no end: 12 h
        _incident("away", 60_000.0, 70_000.0),
    ]
    alerts = [
        Alert("A", "inactivity", 9_800.0),  # 200 s early: within 5 min, detects
        Alert("A", "inactivity", 20_000.0),  # at the end: too late, a false alarm
        Alert("B", "sos", 50_001.0),  # another elder: a false alarm
        Alert("A", "sos", 50_000.0 + 11 * 3600),  # within 12 h: detects
        Alert("A", "inactivity", 65_000.0),  # while away
    ]
    report = score(alerts, truth, since=0.0, home_days=10.0)
    assert report["by_type"]["inactivity"] == {
        "incidents": 1,
        "detected": 1,
        "recall": 1.0,
        "delay_median_s": -200.0,
        "delay_p90_s": -200.0,
    }
    assert report["by_type"]["sos"]["detected"] == 1
    assert report["false_alarms"] == {
        "total": 3,
        "per_100_home_days": 30.0,
        "by_type": {"inactivity": 2, "sos": 1},
    }
    assert report["alerts_while_away"] == 1


def test_scoring_leaves_out_the_learned_days() -> None:
    truth = [_incident("inactivity", 1_000.0, 90_000.0)]
    alerts = [Alert("A", "inactivity", 5_000.0), Alert("A", "inactivity", 50_000.0)]
    report = score(alerts, truth, since=10_000.0, home_days=1.0)
    # The incident began before scoring: neither counted nor its alert a false alarm.
    assert report["by_type"]["inactivity"]["incidents"] == 0
    assert report["false_alarms"]["total"] == 0


def test_evaluate_scores_abnormal_vitals_and_a_stuck_sensor(tmp_path: Path) -> None:
    """Home 6 of seed 7 wears a band; home 0 has motion sensors to stick."""
    forced = [
        {"type": "vitals", "home": 6, "at": "+58h"},
        {"type": "stuck", "home": 0, "at": "+55h"},
    ]
    args = _simulate(tmp_path, forced, "--incident-rate", "0", homes=7)
    result = CliRunner().invoke(app, ["evaluate", *args, "--learn-days", "2", "--sweep-s", "30"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    vitals = report["by_type"]["abnormal_vitals"]
    assert vitals["incidents"] == 1
    assert vitals["recall"] == 1.0
    # The band reads every 10 min: the first reading out of range within 10 min of the start,
    # the second 10 min later — sustained — and the next sweep.
    assert vitals["delay_median_s"] <= 20 * 60 + 30
    stuck = report["by_type"]["device_offline"]
    assert stuck["incidents"] == 1
    assert stuck["recall"] == 1.0
    # 90 min of firing without a pause (the run may begin with the elder moving just before).
    assert 80 * 60 <= stuck["delay_median_s"] <= 95 * 60
    assert report["false_alarms"]["by_type"].get("abnormal_vitals", 0) == 0


def test_evaluate_runs_the_gateways_device_health_rule(tmp_path: Path) -> None:
    """A device's Last Will, and a battery drained flat days after the drain began: found
    as the live health loop finds them (``gateway.device_health``), naming the device."""
    forced = [
        {"type": "offline", "home": 1, "at": "+55h"},
        {"type": "drain", "home": 2, "at": "+30h"},
    ]
    args = _simulate(tmp_path, forced, "--incident-rate", "0", homes=4, days=10)
    alerts = tmp_path / "alerts.jsonl"
    result = CliRunner().invoke(
        app, ["evaluate", *args, "--learn-days", "2", "--sweep-s", "30", "--alerts", str(alerts)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # A detection of these types names the incident's device (§5): the right devices.
    offline, low = report["by_type"]["device_offline"], report["by_type"]["battery_low"]
    assert (offline["incidents"], offline["detected"]) == (2, 2)  # the Will, the flat battery
    assert offline["delay_median_s"] < 2 * 3600 + 120  # two heartbeats, or a Will at once
    assert (low["incidents"], low["detected"]) == (1, 1)
    assert report["false_alarms"]["by_type"].get("device_offline", 0) == 0
    assert report["false_alarms"]["by_type"].get("battery_low", 0) == 0
    rows = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert all("device_id" in r for r in rows if r["type"] == "battery_low")


def test_a_raw_payload_and_an_unreadable_status_are_no_message_heard(tmp_path: Path) -> None:
    """As the gateway dead-letters them: left out of the batches, so device health does not
    count a device that sends only those as heard (it tells us nothing)."""
    homes = tmp_path / "homes.json"
    homes.write_text(
        json.dumps(
            {
                "elders": [{"id": "KP-1"}],
                "devices": [{"id": "pir-1", "type": "motion_sensor", "elder_id": "KP-1"}],
            }
        )
    )
    events = tmp_path / "events.jsonl"
    lines = [
        {"device_id": "pir-1", "event": {"ts": START, "kind": "motion", "value": 1}},
        {"device_id": "pir-1", "raw": "AT+CSQ"},
        {"device_id": "pir-1", "status": "maybe"},
        {"device_id": "pir-1", "status": "offline"},
    ]
    events.write_text("".join(json.dumps(line) + "\n" for line in lines))
    file = load_homes_file(homes)
    [batch] = list(read_events(events, file.homes))
    assert len(batch) == 2  # the event and the Last Will
    assert batch.battery is not None
    assert np.isnan(batch.battery).all()


def test_not_back_at_night_is_found_and_a_declared_absence_suppresses_it(tmp_path: Path) -> None:
    """Home 11 of seed 7 (incapacitated, living alone: frail) goes out at 15:00 on the third
    day and is not back for the night."""
    forced = [{"type": "not_returning", "home": 11, "at": "+63h"}]
    args = _simulate(tmp_path, forced, "--incident-rate", "0", homes=12)
    homes_path = Path(args[1])
    alerts = tmp_path / "alerts.jsonl"
    run = ["evaluate", *args, "--learn-days", "2", "--sweep-s", "60", "--alerts", str(alerts)]
    run += ["--off", "activity_drop"]  # not_back on (off by default)
    result = CliRunner().invoke(app, run)
    assert result.exit_code == 0, result.output
    inactivity = json.loads(result.output)["by_type"]["inactivity"]
    assert inactivity["incidents"] == 1
    assert inactivity["recall"] == 1.0
    raised = [json.loads(line) for line in alerts.read_text().splitlines()]
    mine = [a for a in raised if a["elder_id"] == "KP-700012" and a["type"] == "inactivity"]
    assert len(mine) == 1
    assert mine[0]["opened_at"].startswith("2026-07-08T23:")  # the cold start's 23:00
    assert re.match(
        r"went out at 1[45]:\d\d and not back by 23:\d\d; seldom out", mine[0]["summary"]
    )
    # The family said she would stay with them that night: nothing is raised.
    doc = json.loads(homes_path.read_text())
    doc["absences"]["KP-700012"] = [
        {"from": "2026-07-08T14:30:00+08:00", "to": "2026-07-09T12:00:00+08:00", "reason": "family"}
    ]
    homes_path.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, run)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_type"]["inactivity"]["recall"] == 0.0
    raised = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert not [a for a in raised if a["elder_id"] == "KP-700012" and a["type"] == "inactivity"]


def test_a_malformed_absence_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    args = _simulate(tmp_path)
    homes_path = Path(args[1])
    doc = json.loads(homes_path.read_text())
    doc["absences"] = {"KP-700001": [{"from": "2026-07-08T14:30:00", "to": "tomorrow"}]}
    homes_path.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["evaluate", *args])
    assert result.exit_code == 2
    assert "absences of 'KP-700001'[0]" in result.output


def test_lines_that_are_no_event_are_left_out_counted_and_nothing_else_changes(
    tmp_path: Path,
) -> None:
    args = _simulate(tmp_path)
    run = ["evaluate", *args, "--learn-days", "2", "--sweep-s", "30"]
    clean = json.loads(CliRunner().invoke(app, run).output)
    assert clean["lines_left_out"] == 0
    events = Path(args[3])
    lines = events.read_text().splitlines()
    bad = ['{"device_id": "pir-', "[1, 2]", '{"device_id": ["a"], "event": {}}', '"x"']
    events.write_text("\n".join([lines[0], *bad, *lines[1:]]) + "\n")
    result = CliRunner().invoke(app, run)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["lines_left_out"], report["first_line_left_out"]) == (4, 2)
    for key in ("by_type", "false_alarms", "alerts_while_away", "events", "home_days"):
        assert report[key] == clean[key], key


def test_the_file_read_on_the_second_core_is_the_file_read_here(tmp_path: Path) -> None:
    args = _simulate(tmp_path)
    homes = load_homes_file(Path(args[1])).homes
    here = list(read_events(Path(args[3]), homes))
    ahead = list(read_events_ahead(Path(args[3]), homes.device_ids, LeftOut()))
    assert len(here) == len(ahead) >= 1
    for a, b in zip(here, ahead, strict=True):
        for name in ("device", "kind", "value", "ts", "received", "untrusted"):
            assert np.array_equal(getattr(a, name), getattr(b, name), equal_nan=True), name


def test_a_missing_events_file_is_raised_from_the_reader(tmp_path: Path) -> None:
    args = _simulate(tmp_path)
    homes = load_homes_file(Path(args[1])).homes
    with pytest.raises(FileNotFoundError):
        list(read_events_ahead(tmp_path / "none.jsonl", homes.device_ids, LeftOut()))
