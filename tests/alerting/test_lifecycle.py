"""The lifecycle's pure rules: severities, subjects, summaries, which events open an alert,
cancel windows and the allowed state changes."""

from __future__ import annotations

import pytest

from alerting import lifecycle
from alerting.errors import AlertConflictError
from alerting.models import AlertType, Severity, Status


def test_every_type_has_a_default_severity_and_the_emergencies_are_critical() -> None:
    assert set(lifecycle.DEFAULT_SEVERITY) == set(AlertType)
    critical = {t for t, s in lifecycle.DEFAULT_SEVERITY.items() if s is Severity.CRITICAL}
    assert critical == {AlertType.SOS, AlertType.FALL, AlertType.SMOKE, AlertType.GAS}


def test_a_signal_may_set_its_own_severity() -> None:
    assert lifecycle.severity_of(AlertType.DEVICE_OFFLINE, Severity.HIGH) is Severity.HIGH
    assert lifecycle.severity_of(AlertType.DEVICE_OFFLINE) is Severity.LOW


def test_elder_alerts_are_about_the_elder_and_device_health_about_the_device() -> None:
    assert lifecycle.subject_of(AlertType.SOS, "KP-1", "pat-1") == "elder:KP-1"
    assert lifecycle.subject_of(AlertType.BATTERY_LOW, "KP-1", "pat-1") == "device:pat-1"
    assert lifecycle.subject_of(AlertType.SOS, None, "pat-1") == "device:pat-1"
    with pytest.raises(ValueError, match="elder or a device"):
        lifecycle.subject_of(AlertType.SOS, None, None)


def test_the_summary_names_the_type_device_and_room_never_a_person() -> None:
    assert (
        lifecycle.summary_of(AlertType.SOS, "sos_button", "bedroom")
        == "SOS 求助 — 平安通 (bedroom)"
    )
    assert lifecycle.summary_of(AlertType.FALL, "wearable", None) == "跌倒 — 穿戴設備"
    assert lifecycle.summary_of(AlertType.INACTIVITY, None, None) == "長時間無活動"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("sos", None, AlertType.SOS),
        ("fall", 1, AlertType.FALL),
        ("smoke", 1, AlertType.SMOKE),
        ("smoke", 0, None),
        ("gas", 0, None),
        ("gas", None, AlertType.GAS),  # an unusable value is an alarm
        ("motion", 1, None),
        ("cancel", None, None),
    ],
)
def test_critical_events_open_alerts_but_a_detector_clearing_does_not(
    kind: str, value: float | None, expected: AlertType | None
) -> None:
    assert lifecycle.alert_type_of_event(kind, value) is expected


def test_only_a_critical_signal_reopens_an_acked_alert() -> None:
    assert lifecycle.reopens(Severity.CRITICAL)
    assert not lifecycle.reopens(Severity.HIGH)
    assert not lifecycle.reopens(Severity.LOW)


def test_a_resolved_alert_can_be_neither_acked_nor_resolved_again() -> None:
    lifecycle.check_ack(Status.OPEN)
    lifecycle.check_ack(Status.ACKED)
    lifecycle.check_resolve(Status.OPEN)
    lifecycle.check_resolve(Status.ACKED)
    with pytest.raises(AlertConflictError):
        lifecycle.check_ack(Status.RESOLVED)
    with pytest.raises(AlertConflictError):
        lifecycle.check_resolve(Status.RESOLVED)
