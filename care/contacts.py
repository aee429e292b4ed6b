"""The elder's emergency contacts (緊急聯系人) in the plan's order.

The plan: the elder's children; with no children, or children hard to reach, a close
relative; with no relative or friend, the village/residents' committee staff. So without
explicit priorities the order is children, relatives, friends and neighbours, others, and
last the committee staff and social workers (the contact of last resort). Contacts given a
``priority`` (1 first) come before those without, in that order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field

from care.models import Name, Phone

RELATIONS: Final = (
    "child",
    "relative",
    "friend",
    "neighbour",
    "village_staff",
    "social_worker",
    "other",
)
RELATION_RANK: Final = {
    "child": 0,
    "relative": 1,
    "friend": 2,
    "neighbour": 2,
    "other": 3,
    "village_staff": 4,
    "social_worker": 4,
}
RELATION_ZH: Final = {
    "child": "子女",
    "relative": "親屬",
    "friend": "朋友",
    "neighbour": "鄰居",
    "village_staff": "村(居)委會工作人員",
    "social_worker": "社工",
    "other": "其他",
}


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    elder_id: str
    name: str
    phone: str
    relation: str
    priority: int | None
    created_at: datetime
    order: int = 0
    """Place in the calling order, 1 first (0: not yet ordered)."""

    @property
    def relation_zh(self) -> str:
        return RELATION_ZH.get(self.relation, self.relation)


def order_key(contact: Contact) -> tuple[int, int, int, int]:
    rank = RELATION_RANK.get(contact.relation, len(RELATION_RANK))
    if contact.priority is not None:
        return (0, contact.priority, rank, contact.id)
    return (1, 0, rank, contact.id)


def emergency_order(contacts: Iterable[Contact]) -> list[Contact]:
    """Who to call first: explicit priorities, then the plan's order, then first entered."""
    return sorted(contacts, key=order_key)


class Relation(StrEnum):
    CHILD = "child"
    RELATIVE = "relative"
    FRIEND = "friend"
    NEIGHBOUR = "neighbour"
    VILLAGE_STAFF = "village_staff"
    SOCIAL_WORKER = "social_worker"
    OTHER = "other"


class ContactCreate(BaseModel):
    """``POST /elders/{id}/contacts``."""

    model_config = ConfigDict(use_enum_values=True, extra="forbid")

    name: Name
    phone: Phone
    relation: Relation
    priority: Annotated[int, Field(ge=1, le=99)] | None = None
