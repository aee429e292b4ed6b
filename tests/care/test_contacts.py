"""The plan's emergency order of contacts, and explicit priorities."""

from __future__ import annotations

from datetime import UTC, datetime

from care.contacts import Contact, emergency_order

T = datetime(2026, 5, 1, tzinfo=UTC)


def contact(cid: int, relation: str, priority: int | None = None) -> Contact:
    return Contact(cid, "KP-1", f"c{cid}", "13800000000", relation, priority, T)


def names(contacts: list[Contact]) -> list[int]:
    return [c.id for c in emergency_order(contacts)]


def test_children_then_relatives_then_friends_and_neighbours_then_committee_staff() -> None:
    given = [
        contact(1, "village_staff"),
        contact(2, "neighbour"),
        contact(3, "relative"),
        contact(4, "child"),
        contact(5, "friend"),
        contact(6, "social_worker"),
        contact(7, "other"),
    ]
    assert names(given) == [4, 3, 2, 5, 7, 1, 6]


def test_given_priorities_come_first_in_their_order() -> None:
    given = [contact(1, "child"), contact(2, "village_staff", 2), contact(3, "neighbour", 1)]
    assert names(given) == [3, 2, 1]


def test_two_children_keep_the_order_they_were_entered() -> None:
    assert names([contact(9, "child"), contact(3, "child")]) == [3, 9]
