"""The kinds each device type may send, and the pure check of a device's events."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from devices.kind_check import KIND_UNEXPECTED, check_kinds, payloads_of
from devices.kinds import ALLOWED_KINDS, CRITICAL_KINDS, KINDS, DeviceType
from devices.schema import Event, decode_events

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def events(*kinds: str) -> list[Event]:
    return [Event("d1", NOW, kind, NOW, seq=n) for n, kind in enumerate(kinds)]


def test_every_device_type_has_its_kinds_and_every_kind_is_of_the_contract() -> None:
    assert set(ALLOWED_KINDS) == set(DeviceType)
    for allowed in ALLOWED_KINDS.values():
        assert allowed <= set(KINDS)
        assert {"heartbeat", "tamper"} <= allowed


def test_only_wearables_and_sos_buttons_may_check_in_or_cancel() -> None:
    for kind in ("checkin", "cancel", "sos"):
        senders = {t for t, allowed in ALLOWED_KINDS.items() if kind in allowed}
        assert senders == {DeviceType.WEARABLE, DeviceType.SOS_BUTTON}


def test_every_kind_of_the_contract_has_a_device_type_that_sends_it() -> None:
    sent = set().union(*ALLOWED_KINDS.values())
    assert sent == set(KINDS)


def test_allowed_events_are_kept_as_they_are() -> None:
    sent = events("motion", "heartbeat", "temperature")
    kept, refused, unexpected = check_kinds("motion_sensor", sent)
    assert kept is sent
    assert (refused, unexpected) == ((), ())


def test_a_motion_sensors_checkin_is_refused_and_the_rest_kept() -> None:
    sent = events("motion", "checkin", "heartbeat")
    kept, refused, unexpected = check_kinds("motion_sensor", sent)
    assert [e.kind for e in kept] == ["motion", "heartbeat"]
    assert refused == [sent[1]]
    assert unexpected == []


@pytest.mark.parametrize("kind", sorted(CRITICAL_KINDS))
def test_an_emergency_from_an_unexpected_type_is_kept_flagged(kind: str) -> None:
    (sent,) = events(kind)
    kept, refused, unexpected = check_kinds("water_meter", [sent])
    assert refused == []
    assert kept == unexpected
    assert kept[0] == sent._replace(flags=(KIND_UNEXPECTED,))


def test_a_type_the_table_does_not_know_sends_only_heartbeats_and_emergencies() -> None:
    kept, refused, _ = check_kinds("teleporter", events("heartbeat", "motion", "sos"))
    assert [e.kind for e in kept] == ["heartbeat", "sos"]
    assert [e.kind for e in refused] == ["motion"]


def test_the_payload_of_a_refused_single_event_is_the_message_itself() -> None:
    payload = b'{"kind": "checkin", "seq": 4}'
    decoded = decode_events("d1", payload, NOW).events
    assert payloads_of(payload, decoded, decoded, NOW) == [payload]


def test_the_payload_of_a_refused_item_is_that_item_even_after_an_item_the_decoder_refused() -> (
    None
):
    items = [
        {"kind": "motion"},
        {"kind": "warp"},
        {"kind": "checkin", "seq": 2},
        {"kind": "cancel"},
    ]
    payload = orjson.dumps(items)
    decoded = decode_events("d1", payload, NOW).events
    _, refused, _ = check_kinds("motion_sensor", decoded)
    raws = payloads_of(payload, decoded, refused, NOW)
    assert [orjson.loads(raw) for raw in raws] == [items[2], items[3]]


def test_a_leak_is_a_flag_sent_by_water_meters_and_environment_sensors_only() -> None:
    assert KINDS["leak"] == "flag"
    senders = {t for t, allowed in ALLOWED_KINDS.items() if "leak" in allowed}
    assert senders == {DeviceType.WATER_METER, DeviceType.ENV_SENSOR}
    wet = decode_events("d1", b'{"kind": "leak", "value": 1}', NOW).events
    assert [(e.kind, e.value) for e in wet] == [("leak", 1.0)]
    kept, refused, _ = check_kinds("door_sensor", wet)
    assert (kept, refused) == ([], wet)
