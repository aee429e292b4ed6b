"""Alerts as stored and answered, what opens one (``AlertSignal``), what opening did
(``AlertChange``), and what a person sends to acknowledge or resolve one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from store.text import storable


class AlertType(StrEnum):
    SOS = "sos"
    FALL = "fall"
    SMOKE = "smoke"
    GAS = "gas"
    INACTIVITY = "inactivity"
    NIGHT_WANDERING = "night_wandering"
    ABNORMAL_TEMPERATURE = "abnormal_temperature"
    ABNORMAL_VITALS = "abnormal_vitals"
    ACTIVITY_DROP = "activity_drop"
    DEVICE_OFFLINE = "device_offline"
    BATTERY_LOW = "battery_low"
    MISSED_CHECKIN = "missed_checkin"
    VISIT_OVERDUE = "visit_overdue"
    # A system alert, about no elder: every gateway silent (alerting/gateway_outage.py).
    GATEWAY_OUTAGE = "gateway_outage"
    # A system alert: escalation steps run more than 10 s late (alerting/escalator.py).
    ESCALATION_LATE = "escalation_late"


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    LOW = "low"


class Status(StrEnum):
    OPEN = "open"
    ACKED = "acked"
    RESOLVED = "resolved"


class Outcome(StrEnum):
    FALSE_ALARM = "false_alarm"
    HANDLED_AT_HOME = "handled_at_home"
    SENT_TO_HOSPITAL = "sent_to_hospital"
    DECEASED = "deceased"
    DEVICE_FAULT = "device_fault"
    OTHER = "other"


class Change(StrEnum):
    """What a signal did to the alert of its condition."""

    OPENED = "opened"  # no open or acked alert: a new one
    REFRESHED = "refreshed"  # the open (or acked) alert counted it
    REOPENED = "reopened"  # an acked alert is open again (a new critical event)
    DUPLICATE = "duplicate"  # the triggering event was counted before: nothing changed


class TimelineKind(StrEnum):
    OPENED = "opened"
    REOPENED = "reopened"
    ACKED = "acked"
    RESOLVED = "resolved"
    CANCELLED_BY_ELDER = "cancelled_by_elder"
    # Resolved by the system: the condition is gone (a device back, a gateway back).
    CLEARED = "cleared"
    # Put under a storm incident (not escalated on its own), and back on its own.
    GROUPED = "grouped"
    RELEASED = "released"


@dataclass(frozen=True, slots=True)
class EventKey:
    """A stored event, as ``events`` keys it (device, time) plus its kind."""

    device_id: str
    ts: datetime
    kind: str


# The actor of the alerts the detection leader opens (gateway.detect_alerts): a stuck
# sensor's ``device_offline`` is the detectors', not the device-health loop's.
DETECTOR_ACTOR: Final = "detector"


@dataclass(frozen=True, slots=True)
class AlertSignal:
    """A condition seen now: what ``open_alert`` opens or refreshes. Detectors and device
    health send these for any type. ``severity`` and ``summary`` default by type (and the
    device's type and room); ``event`` is the stored event that raised it, if any.

    ``town`` with neither an elder nor a device: a town-level alert (subject
    ``town:<name>``: a storm's incident, a town's overdue visits). ``escalate`` False: the
    alert is opened grouped under a storm incident and its escalation is not started —
    honoured only for the types that may be grouped (``alerting.lifecycle.GROUPABLE``); an
    emergency always escalates at once."""

    type: AlertType
    elder_id: str | None
    device_id: str | None = None
    severity: Severity | None = None
    summary: str | None = None
    event: EventKey | None = None
    actor: str = "system"
    detail: dict[str, Any] = field(default_factory=dict)
    town: str | None = None
    escalate: bool = True


class Alert(BaseModel):
    """An alert as stored."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    severity: str
    elder_id: str | None
    device_id: str | None
    status: str
    opened_at: datetime
    acked_at: datetime | None
    resolved_at: datetime | None
    escalation_level: int
    summary: str
    count: int
    last_seen_at: datetime
    acked_by: str | None
    resolved_by: str | None
    outcome: str | None
    notes: str | None
    cancelled_by_elder: bool
    cancelled_at: datetime | None


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    kind: str
    actor: str | None
    who: str | None
    channel: str | None
    result: str | None
    error: str | None
    duration_ms: int | None
    detail: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class AlertChange:
    change: Change
    alert: Alert


@dataclass(frozen=True, slots=True)
class AlertView:
    """One alert with its timeline, oldest entry first."""

    alert: Alert
    timeline: list[TimelineEntry]


By = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(storable)]
Notes = Annotated[str, Field(min_length=1, max_length=2000), AfterValidator(storable)]


class AckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: By = Field(description="Who acknowledges: the person's name or role as they give it.")


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: By
    outcome: Outcome
    notes: Notes | None = None
