"""Which free gateway slots are orphans (``gateway.slots.OrphanWatch``), on an injected clock."""

from __future__ import annotations

from gateway.slots import OrphanWatch, SlotNames

GRACE = 2.0


def test_a_slot_freed_by_a_dead_gateway_is_an_orphan_only_after_the_grace_period() -> None:
    watch = OrphanWatch(3, GRACE, mine={0})
    assert watch.observe(frozenset({0, 1, 2}), now=0.0) == []
    assert watch.observe(frozenset({0, 2}), now=1.0) == []  # gw-1's holder died
    assert watch.observe(frozenset({0, 2}), now=2.9) == []
    assert watch.observe(frozenset({0, 2}), now=3.0) == [1]


def test_a_slot_claimed_again_within_the_grace_period_is_not_an_orphan() -> None:
    watch = OrphanWatch(3, GRACE, mine={0})
    watch.observe(frozenset({0, 1, 2}), now=0.0)
    assert watch.observe(frozenset({0}), now=1.0) == []  # a database restart: all freed
    assert watch.observe(frozenset({0, 1, 2}), now=2.5) == []  # their holders are back
    assert watch.observe(frozenset({0, 1, 2}), now=10.0) == []
    # Freed again later: the grace period counts from then, not from the first time.
    assert watch.observe(frozenset({0, 2}), now=11.0) == []
    assert watch.observe(frozenset({0, 2}), now=12.5) == []
    assert watch.observe(frozenset({0, 2}), now=13.0) == [1]


def test_our_own_lost_connection_restarts_every_grace_period() -> None:
    watch = OrphanWatch(2, GRACE, mine={0})
    watch.observe(frozenset({0, 1}), now=0.0)
    watch.observe(frozenset({0}), now=1.0)
    watch.restart()  # the others reconnect as we do
    assert watch.observe(frozenset({0}), now=3.5) == []
    assert watch.observe(frozenset({0}), now=5.5) == [1]


def test_our_own_slots_and_a_slot_we_drained_are_not_orphans() -> None:
    watch = OrphanWatch(3, GRACE, mine={0})
    watch.observe(frozenset({0, 1, 2}), now=0.0)
    assert watch.observe(frozenset(), now=5.0) == []
    assert watch.observe(frozenset(), now=7.0) == [1, 2]
    watch.drained(1)
    watch.drained(2)
    assert watch.observe(frozenset(), now=20.0) == []
    # Held by a gateway that starts, then freed: it may hold a session again.
    watch.observe(frozenset({1}), now=21.0)
    assert watch.observe(frozenset(), now=22.0) == []
    assert watch.observe(frozenset(), now=24.0) == [1]


def test_a_slot_held_for_a_drain_is_not_drained_again_after_it() -> None:
    watch = OrphanWatch(2, GRACE, mine={0})
    watch.drained(1)
    watch.observe(frozenset({0, 1}), now=2.1, draining=frozenset({1}))
    assert watch.observe(frozenset({0}), now=2.5, draining=frozenset({1})) == []
    assert watch.observe(frozenset({0}), now=3.0) == []  # drained and released
    assert watch.observe(frozenset({0}), now=9.0) == []


def test_a_gateway_that_starts_drains_slots_left_free_before_it_looked() -> None:
    watch = OrphanWatch(3, GRACE, mine={1})
    assert watch.observe(frozenset({1}), now=0.0) == []
    assert watch.observe(frozenset({1}), now=2.0) == [0, 2]


def test_slot_names_are_the_shared_groups_client_ids_under_one_lock_key() -> None:
    names = SlotNames("tanfang-gateway", 3)
    assert [names.client_id(i) for i in range(3)] == [
        "tanfang-gateway-gw-0",
        "tanfang-gateway-gw-1",
        "tanfang-gateway-gw-2",
    ]
    assert -(2**31) <= names.key < 2**31
    assert names.key == SlotNames("tanfang-gateway", 5).key
    assert names.key != SlotNames("other-town", 3).key
