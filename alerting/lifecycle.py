"""The alert lifecycle's rules, pure: severities by type, what an alert is about, its
summary, which events open one, and which state changes are allowed.

States: ``open → acked → resolved``; an open alert may be resolved directly. A new critical
signal on an acked alert opens it again (a second SOS after the ack means help has not
come); other signals only count.
"""

from __future__ import annotations

from typing import Final

from alerting.errors import AlertConflictError
from alerting.models import AlertType, Severity, Status

# What each type is when the signal does not say: emergencies are critical; what silence or
# drift suggests is high (someone should look today); the fleet and the visit plan are low.
DEFAULT_SEVERITY: Final[dict[AlertType, Severity]] = {
    AlertType.SOS: Severity.CRITICAL,
    AlertType.FALL: Severity.CRITICAL,
    AlertType.SMOKE: Severity.CRITICAL,
    AlertType.GAS: Severity.CRITICAL,
    AlertType.INACTIVITY: Severity.HIGH,
    AlertType.NIGHT_WANDERING: Severity.HIGH,
    AlertType.ABNORMAL_TEMPERATURE: Severity.HIGH,
    AlertType.ABNORMAL_VITALS: Severity.HIGH,
    AlertType.ACTIVITY_DROP: Severity.LOW,
    AlertType.DEVICE_OFFLINE: Severity.LOW,
    AlertType.BATTERY_LOW: Severity.LOW,
    AlertType.MISSED_CHECKIN: Severity.LOW,
    AlertType.VISIT_OVERDUE: Severity.LOW,
    # Every gateway silent: no event of any home reaches anyone, an SOS included.
    AlertType.GATEWAY_OUTAGE: Severity.HIGH,
    # Escalation steps run late: an emergency may be reaching people too late.
    AlertType.ESCALATION_LATE: Severity.HIGH,
}

# Device types whose silence hides an emergency (a press, a fall, a fire, a gas leak goes
# unheard): their ``device_offline`` is ``high``; any other device's is ``low``.
EMERGENCY_DEVICE_TYPES: Final = frozenset(
    {"sos_button", "fall_detector", "smoke_detector", "gas_detector"}
)

# System alerts are about the installation, not an elder nor a device.
SYSTEM_SUBJECTS: Final[dict[AlertType, str]] = {
    AlertType.GATEWAY_OUTAGE: "system:gateways",
    AlertType.ESCALATION_LATE: "system:escalator",
}

# A town-level alert's subject: ``town:<registered name>``.
TOWN_SUBJECT_PREFIX: Final = "town:"

# What may be grouped under a storm incident (opened, not escalated on its own, while its
# town's incident stands): device health and what an elder's activity tells — a village's
# power cut silences them all at once, and one incident says more than hundreds of pages.
# Emergencies (sos, fall, smoke, gas) are never grouped, delayed or suppressed.
GROUPABLE: Final = frozenset(
    {
        AlertType.DEVICE_OFFLINE,
        AlertType.BATTERY_LOW,
        AlertType.INACTIVITY,
        AlertType.NIGHT_WANDERING,
        AlertType.ACTIVITY_DROP,
        AlertType.MISSED_CHECKIN,
    }
)

# Device health is about the device (two buttons of one elder are two conditions); the
# rest is about the elder.
DEVICE_KEYED: Final = frozenset({AlertType.DEVICE_OFFLINE, AlertType.BATTERY_LOW})

# The event kinds that open an alert of the same name in the transaction that stores them.
CRITICAL_EVENT_TYPES: Final[dict[str, AlertType]] = {
    "sos": AlertType.SOS,
    "fall": AlertType.FALL,
    "smoke": AlertType.SMOKE,
    "gas": AlertType.GAS,
}
# Detectors whose value 0 says "clear": that does not open an alert.
_CLEAR_AT_ZERO: Final = frozenset({"smoke", "gas"})
CANCEL_KIND: Final = "cancel"

_TITLES: Final[dict[AlertType, str]] = {
    AlertType.SOS: "SOS 求助",
    AlertType.FALL: "跌倒",
    AlertType.SMOKE: "煙霧報警",
    AlertType.GAS: "燃氣報警",
    AlertType.INACTIVITY: "長時間無活動",
    AlertType.NIGHT_WANDERING: "夜間離家",
    AlertType.ABNORMAL_TEMPERATURE: "室溫異常",
    AlertType.ABNORMAL_VITALS: "生命體徵異常",
    AlertType.ACTIVITY_DROP: "活動量下降",
    AlertType.DEVICE_OFFLINE: "設備離線",
    AlertType.BATTERY_LOW: "電量低",
    AlertType.MISSED_CHECKIN: "未報平安",
    AlertType.VISIT_OVERDUE: "探訪逾期",
    AlertType.GATEWAY_OUTAGE: "網關中斷",
    AlertType.ESCALATION_LATE: "警報升級延誤",
}
_DEVICE_NAMES: Final[dict[str, str]] = {
    "sos_button": "平安通",
    "wearable": "穿戴設備",
    "fall_detector": "跌倒探測器",
    "smoke_detector": "煙霧探測器",
    "gas_detector": "燃氣探測器",
    "motion_sensor": "人體感應器",
    "door_sensor": "門磁",
    "bed_sensor": "床墊感應器",
    "power_meter": "電錶",
    "water_meter": "水錶",
    "env_sensor": "環境感應器",
}


def type_title(alert_type: str) -> str:
    """The short Chinese title of an alert type (``SOS 求助``); the type itself when it is
    not one of ours."""
    try:
        return _TITLES[AlertType(alert_type)]
    except ValueError:
        return alert_type


def severity_of(alert_type: AlertType, given: Severity | None = None) -> Severity:
    return given if given is not None else DEFAULT_SEVERITY[alert_type]


def subject_of(
    alert_type: AlertType, elder_id: str | None, device_id: str | None, town: str | None = None
) -> str:
    """What one condition is about, the key of "one open alert per condition": the elder,
    or the device for device health and for a device assigned to no elder, or the town
    for a town-level alert (``town`` and neither elder nor device), or the system for a
    system alert."""
    system = SYSTEM_SUBJECTS.get(alert_type)
    if system is not None:
        return system
    if town is not None and elder_id is None and device_id is None:
        return f"{TOWN_SUBJECT_PREFIX}{town}"
    if alert_type in DEVICE_KEYED or elder_id is None:
        if device_id is None:
            raise ValueError("an alert needs an elder or a device")
        return f"device:{device_id}"
    return f"elder:{elder_id}"


def device_offline_severity(device_type: str | None) -> Severity:
    """``high`` for a device that raises emergencies (``EMERGENCY_DEVICE_TYPES``), else
    ``low``."""
    return Severity.HIGH if device_type in EMERGENCY_DEVICE_TYPES else Severity.LOW


def summary_of(alert_type: AlertType, device_type: str | None, room: str | None) -> str:
    """A one-line summary built from the type and the device, never from a person's name:
    ``SOS 求助 — 平安通 (bedroom)``."""
    title = _TITLES[alert_type]
    if device_type is None:
        return title
    device = _DEVICE_NAMES.get(device_type, device_type)
    return f"{title} — {device} ({room})" if room else f"{title} — {device}"


def reopens(severity: Severity) -> bool:
    """Whether a new signal of this severity opens an acked alert again."""
    return severity is Severity.CRITICAL


def alert_type_of_event(kind: str, value: float | None) -> AlertType | None:
    """The alert a stored event opens at once, if any: the critical kinds, except a
    detector's "clear" (value 0). An unusable value (stored NULL) is an alarm: a false alarm
    costs less than a missed fire."""
    alert_type = CRITICAL_EVENT_TYPES.get(kind)
    if alert_type is None:
        return None
    if kind in _CLEAR_AT_ZERO and value == 0:
        return None
    return alert_type


def check_ack(status: Status) -> None:
    """An open alert may be acknowledged (again: no change); a resolved one may not."""
    if status is Status.RESOLVED:
        raise AlertConflictError("this alert is resolved")


def check_resolve(status: Status) -> None:
    if status is Status.RESOLVED:
        raise AlertConflictError("this alert is already resolved")
