"""How an elder's file is shown: with its category, and with identity fields masked in
lists and for roles that may not see them.

Identity fields are whatever names, reaches or locates a person: the elder's name, phone
and address, the contact person's name and phone, the free-text refusal reason (it names
family members and health), and an emergency contact's name and phone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, TypeVar

from alerting.coverage import Coverage
from alerting.models import Alert, AlertView
from alerting.oncall import OnCallShift
from api.schemas import (
    AlertDetail,
    AlertPublic,
    ComplianceOut,
    ContactPublic,
    DueOut,
    ElderPublic,
    ElderRedacted,
    ElderShown,
    OnCallShiftPublic,
)
from care.contacts import Contact
from care.due import DueItem
from care.models import ElderFile
from care.visit_services import ComplianceView
from care.visits import Visit
from devices.models import DeadLetterPublic, DevicePublic, FleetDevice, UnboundSource

_Device = TypeVar("_Device", DevicePublic, FleetDevice)

_ADDRESS_SHOWN: Final = 6
# A masked phone shows at most its first 3 and last 4 characters, and always hides at
# least this many: fewer hidden digits are a guess away from the number.
_PHONE_HIDDEN_MIN: Final = 4
_PHONE_PREFIX: Final = 3
_PHONE_SUFFIX: Final = 4
_SHORT_PHONE_SUFFIX: Final = 2
# What a masked free-text field shows: that there is something, not what it says.
MASKED_TEXT: Final = "…"


def mask_name(name: str) -> str:
    """王小明 → 王*明, 王明 → 王*, 歐陽小明 → 歐**明."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """13812345678 → 138****5678; a number too short to keep 3 + 4 characters with 4
    hidden keeps only its last two (27612345 → ******45), and one too short for that is
    masked whole (110 → ***)."""
    n = len(phone)
    if n >= _PHONE_PREFIX + _PHONE_HIDDEN_MIN + _PHONE_SUFFIX:
        return phone[:_PHONE_PREFIX] + "*" * (n - _PHONE_PREFIX - _PHONE_SUFFIX) + phone[-4:]
    if n >= _PHONE_HIDDEN_MIN + _SHORT_PHONE_SUFFIX:
        return "*" * (n - _SHORT_PHONE_SUFFIX) + phone[-_SHORT_PHONE_SUFFIX:]
    return "*" * max(n, 1)


def trim_address(address: str) -> str:
    """Enough to tell the area, not the door: at most the first six characters, at most half."""
    shown = min(_ADDRESS_SHOWN, len(address) // 2)
    return address[:shown] + "…"


def hide_text(_text: str) -> str:
    return MASKED_TEXT


# Every identity field of the file and how it is masked.
ELDER_IDENTITY: Final[dict[str, Callable[[str], str]]] = {
    "name": mask_name,
    "phone": mask_phone,
    "address": trim_address,
    "contact_person": mask_name,
    "contact_person_phone": mask_phone,
    "refusal_reason": hide_text,
}


def elder_shown(file: ElderFile, *, masked: bool) -> ElderPublic:
    """An elder's file, with every identity field masked when ``masked``."""
    shown = ElderPublic.model_validate(file, from_attributes=True)
    if not masked:
        return shown
    update: dict[str, object] = {"masked": True}
    for field, mask in ELDER_IDENTITY.items():
        value = getattr(shown, field)
        if value is not None:
            update[field] = mask(value)
    return shown.model_copy(update=update)


def elder_read(file: ElderFile, *, masked: bool, redacted: bool) -> ElderShown:
    """An elder's file for a reader: masked when ``masked``, and cut down to what a viewer
    sees (``ElderRedacted``: no birth date, village, address, health or category reason)
    when ``redacted``."""
    shown = elder_shown(file, masked=masked or redacted)
    return ElderRedacted.model_validate(shown, from_attributes=True) if redacted else shown


def contact_shown(contact: Contact, *, masked: bool) -> ContactPublic:
    """An emergency contact, with name and phone masked for roles that may not see them."""
    shown = ContactPublic.model_validate(contact, from_attributes=True)
    if not masked:
        return shown
    return shown.model_copy(
        update={"name": mask_name(shown.name), "phone": mask_phone(shown.phone)}
    )


def visit_shown(visit: Visit, *, masked: bool) -> Visit:
    """A visit, with who visited and the free text of what was found masked for roles that
    may not see identities: those notes name family members and speak of health."""
    if not masked:
        return visit
    return visit.model_copy(
        update={
            "visitor": None if visit.visitor is None else mask_name(visit.visitor),
            "findings": None if visit.findings is None else hide_text(visit.findings),
            "follow_up_notes": (
                None if visit.follow_up_notes is None else hide_text(visit.follow_up_notes)
            ),
            # The presses behind an online visit are the elder's event times.
            "source_event_ts": None,
            "evidence": None,
        }
    )


def compliance_shown(view: ComplianceView, *, masked: bool) -> ComplianceOut:
    """An elder's month, its visits masked as ``visit_shown`` masks them, and without the
    category's reason (it names health and family) when ``masked``."""
    shown = ComplianceOut.model_validate(view, from_attributes=True)
    visits = [visit_shown(v, masked=masked) for v in shown.visits]
    update: dict[str, object] = {"visits": visits}
    if masked:
        update["category_reason"] = None
    return shown.model_copy(update=update)


def due_shown(item: DueItem, *, masked: bool) -> DueOut:
    """An item of the due list; when ``masked``, the elder's and the contact person's names
    masked and no village (as a viewer sees the file)."""
    shown = DueOut.model_validate(item, from_attributes=True)
    if not masked:
        return shown
    return shown.model_copy(
        update={
            "name": None if shown.name is None else mask_name(shown.name),
            "contact_person": None
            if shown.contact_person is None
            else mask_name(shown.contact_person),
            "village": None,
        }
    )


def alert_shown(alert: Alert, *, masked: bool) -> AlertPublic:
    """An alert; who acknowledged or resolved it (the ``by`` text names a person) and the
    notes masked when ``masked``. Summaries never hold a name."""
    shown = AlertPublic.model_validate(alert, from_attributes=True)
    if not masked:
        return shown
    return shown.model_copy(update=_alert_masks(shown))


def alert_detail_shown(view: AlertView, *, masked: bool) -> AlertDetail:
    """An alert with its timeline, masked as ``alert_shown`` masks it (and each entry's
    ``who``)."""
    shown = AlertDetail.model_validate(
        {**view.alert.model_dump(), "timeline": view.timeline}, from_attributes=True
    )
    if not masked:
        return shown
    timeline = [
        entry if entry.who is None else entry.model_copy(update={"who": mask_name(entry.who)})
        for entry in shown.timeline
    ]
    return shown.model_copy(update={**_alert_masks(shown), "timeline": timeline})


def _alert_masks(shown: AlertPublic) -> dict[str, object]:
    return {
        "masked": True,
        "acked_by": None if shown.acked_by is None else mask_name(shown.acked_by),
        "resolved_by": None if shown.resolved_by is None else mask_name(shown.resolved_by),
        "notes": None if shown.notes is None else hide_text(shown.notes),
    }


def shift_shown(shift: OnCallShift, *, masked: bool) -> OnCallShiftPublic:
    """An on-call shift, with the person's name and phone masked when ``masked``."""
    shown = OnCallShiftPublic.model_validate(shift, from_attributes=True)
    if not masked:
        return shown
    return shown.model_copy(
        update={"masked": True, "name": mask_name(shown.name), "phone": mask_phone(shown.phone)}
    )


def device_shown(device: _Device, *, redacted: bool) -> _Device:
    """A device; for a viewer without the times it was last heard from (a door sensor's
    last message is when the elder last came or went)."""
    if not redacted:
        return device
    return device.model_copy(update={"last_seen": None, "status_changed_at": None})


def unbound_shown(source: UnboundSource, *, redacted: bool) -> UnboundSource:
    """An unbound foreign address; for a viewer without its last payload (as a dead letter's)."""
    if not redacted:
        return source
    return source.model_copy(update={"last_payload": MASKED_TEXT})


def dead_letter_shown(letter: DeadLetterPublic, *, redacted: bool) -> DeadLetterPublic:
    """A dead letter; for a viewer without its payload and detail (they hold the events,
    and their times, as the device sent them)."""
    if not redacted:
        return letter
    return letter.model_copy(update={"payload": MASKED_TEXT, "detail": None})


def coverage_shown(found: Coverage, *, masked: bool) -> Coverage:
    """The coverage answer, with the contacts' (unusable) phones masked when ``masked``."""
    if not masked:
        return found
    contacts = [
        c.model_copy(update={"phone": mask_phone(c.phone)}) for c in found.contacts_without_phone
    ]
    return found.model_copy(update={"contacts_without_phone": contacts})
