"""Live publishing and replay against the real broker."""

from __future__ import annotations

import io
import threading
from collections import defaultdict
from pathlib import Path

import orjson
import pytest

from simulators.clock import iso
from simulators.live import RunStats, run_live
from simulators.replay import replay
from simulators.world import build_world
from tests.simulators.helpers import START, Subscriber, file_run, lines, poll


@pytest.mark.parametrize(("protocol", "connections"), [("3.1.1", "device"), ("5", "shared")])
def test_live_run_publishes_exactly_the_file_lines_and_the_broker_delivers_them(
    mqtt_url: str, topic_root: str, protocol: str, connections: str
) -> None:
    world = build_world(3, 5, START)
    subscriber = Subscriber(mqtt_url, topic_root)
    tap = io.StringIO()
    try:
        stats = run_live(
            world,
            mqtt_url=mqtt_url,
            topic_root=topic_root,
            protocol=protocol,
            speed=7200,
            duration_s=1.5,
            start=START,
            connections=connections,
            tap=tap,
        )
        expected, _ = file_run(world, 3 / 24)
        assert tap.getvalue() == expected
        sent = lines(expected)
        poll(lambda: len(subscriber.snapshot()) >= len(sent), "every message delivered")
    finally:
        subscriber.close()
    assert stats.connections == (len(world.devices) if connections == "device" else 1)
    per_device: dict[str, list[bytes]] = defaultdict(list)
    statuses: dict[str, list[str]] = defaultdict(list)
    for topic, payload, _ in subscriber.snapshot():
        device, channel = topic.split("/")[-2:]
        if channel == "events":
            per_device[device].append(payload)
        else:
            statuses[device].append(payload.decode())
    for line in sent:
        if "event" in line:
            assert orjson.loads(per_device[line["device_id"]].pop(0)) == line["event"]
    assert all(s == ["online", "offline"] for s in statuses.values())
    assert len(statuses) == len(world.devices)


def test_status_is_retained_and_the_last_will_says_offline(mqtt_url: str, topic_root: str) -> None:
    world = build_world(1, 5, START)
    run_live(
        world,
        mqtt_url=mqtt_url,
        topic_root=topic_root,
        speed=3600,
        duration_s=0.3,
        start=START,
        connections="device",
    )
    late = Subscriber(mqtt_url, topic_root)
    try:
        poll(lambda: len(late.snapshot()) >= len(world.devices), "retained statuses")
        retained = {t.split("/")[-2]: p for t, p, r in late.snapshot() if r}
    finally:
        late.close()
    assert retained == {d.id: b"offline" for d in world.devices}


def test_checkin_prompts_are_answered_like_a_person_would(mqtt_url: str, topic_root: str) -> None:
    world = build_world(10, 5, START)
    home = next(h for h in world.homes if h.persona.key == "active_alone")
    button = world.devices[home.roles["sos"]].id
    subscriber = Subscriber(mqtt_url, topic_root)
    stop = threading.Event()
    result: list[RunStats] = []
    start = START.replace(hour=10)

    def run() -> None:
        stats = run_live(
            world, mqtt_url=mqtt_url, topic_root=topic_root, speed=1200, stop=stop, start=start
        )
        result.append(stats)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        poll(
            lambda: any(t.endswith(f"{button}/status") for t, _, _ in subscriber.snapshot()),
            "online",
        )
        far = iso(start.timestamp() + 86400)
        for number in range(5):
            prompt = {"cmd": "checkin_prompt", "id": f"p{number}", "expires": far}
            subscriber.publish(f"{topic_root}/dev/{button}/cmd", orjson.dumps(prompt))
        expired = {"cmd": "checkin_prompt", "id": "old", "expires": iso(start.timestamp() - 60)}
        subscriber.publish(f"{topic_root}/dev/{button}/cmd", orjson.dumps(expired))

        def checkins() -> int:
            return sum(
                1
                for t, p, _ in subscriber.snapshot()
                if t.endswith(f"{button}/events") and b'"checkin"' in p
            )

        poll(lambda: checkins() >= 3, "check-in answers")
    finally:
        stop.set()
        runner.join(timeout=15)
        subscriber.close()
    assert not runner.is_alive()
    stats = result[0]
    assert stats.prompts == 6
    assert 3 <= stats.answered <= 5


def test_a_long_live_run_stops_promptly_when_asked(mqtt_url: str, topic_root: str) -> None:
    world = build_world(30, 2, START)
    stop = threading.Event()
    runner = threading.Thread(
        target=run_live,
        args=(world,),
        kwargs={
            "mqtt_url": mqtt_url,
            "topic_root": topic_root,
            "speed": 60,
            "stop": stop,
            "protocol": "3.1.1",
        },
    )
    runner.start()
    subscriber = Subscriber(mqtt_url, topic_root)
    try:
        poll(lambda: len(subscriber.snapshot()) >= len(world.devices), "devices online")
    finally:
        stop.set()  # also when poll failed: a run left going would hang the session
        runner.join(timeout=10)
        subscriber.close()
    assert not runner.is_alive(), "the live run did not stop within the join timeout"


def test_replay_publishes_a_recorded_file_to_the_broker(
    mqtt_url: str, topic_root: str, tmp_path: Path
) -> None:
    world = build_world(2, 6, START)
    text, _ = file_run(world, 0.25, rate=20.0)
    recorded = tmp_path / "events.jsonl"
    recorded.write_text(text)
    subscriber = Subscriber(mqtt_url, topic_root)
    try:
        count = replay(recorded, mqtt_url=mqtt_url, topic_root=topic_root, protocol="3.1.1")
        poll(lambda: len(subscriber.snapshot()) >= count, "replayed messages")
        got = subscriber.snapshot()
    finally:
        subscriber.close()
    sent = lines(text)
    assert count == len(sent)
    for line, (topic, payload, _) in zip(sent, got, strict=True):
        assert topic.split("/")[-2] == line["device_id"]
        if "event" in line:
            assert orjson.loads(payload) == line["event"]
        elif "status" in line:
            assert payload.decode() == line["status"]
        else:
            assert payload == line["raw"].encode()
