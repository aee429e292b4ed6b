"""How an elder's file is shown: with its category, and with identity fields masked in
lists and for roles that may not see them."""

from __future__ import annotations

from datetime import date
from typing import Final

from care.category import classify
from care.models import Elder, ElderPublic

_ADDRESS_SHOWN: Final = 6


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


def elder_public(elder: Elder, today: date, *, masked: bool) -> ElderPublic:
    category, reason = classify(elder, today)
    data = elder.model_dump()
    if masked:
        data["name"] = mask_name(elder.name)
        data["phone"] = None if elder.phone is None else mask_phone(elder.phone)
        data["address"] = None if elder.address is None else trim_address(elder.address)
    return ElderPublic.model_validate(
        {**data, "category": category, "category_reason": reason, "masked": masked}
    )
