"""How an elder's file is shown: with its category, and with identity fields masked in
lists and for roles that may not see them.

Identity fields are whatever names, reaches or locates a person: the elder's name, phone
and address, the contact person's name and phone, the free-text refusal reason (it names
family members and health), and an emergency contact's name and phone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Final
from zoneinfo import ZoneInfo

from care.category import classify
from care.contacts import ContactPublic
from care.models import Elder, ElderPublic
from care.visits import Visit

_ADDRESS_SHOWN: Final = 6
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
    """13812345678 → 138****5678; short numbers keep only their last two digits."""
    if len(phone) >= 8:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 1) + phone[-2:]


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


def elder_public(elder: Elder, today: date, tz: ZoneInfo, *, masked: bool) -> ElderPublic:
    category, reason = classify(elder, today)
    data = elder.model_dump()
    data["filed_on"] = elder.filed_day(tz)
    if masked:
        for field, mask in ELDER_IDENTITY.items():
            if data[field] is not None:
                data[field] = mask(data[field])
    return ElderPublic.model_validate(
        {**data, "category": category, "category_reason": reason, "masked": masked}
    )


def contact_shown(contact: ContactPublic, *, masked: bool) -> ContactPublic:
    """An emergency contact, with name and phone masked for roles that may not see them."""
    if not masked:
        return contact
    return contact.model_copy(
        update={"name": mask_name(contact.name), "phone": mask_phone(contact.phone)}
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
        }
    )
