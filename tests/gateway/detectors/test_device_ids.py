"""The fleet's device ids held as one array of bytes: every id found where it is, nothing
else found — an id longer than all of them, a prefix of one, an empty fleet."""

from __future__ import annotations

import numpy as np
import pytest

from gateway.detectors import device_ids
from gateway.detectors.device_ids import DeviceIds
from tanfang.eval_input import index_of

IDS = ("pir-bed", "door", "pat-7f3a", "pir-bath", "b", "pir-bath-2")


def test_each_id_is_found_at_its_position_and_named_back() -> None:
    ids = DeviceIds(IDS)
    assert len(ids) == len(IDS)
    assert list(ids) == list(IDS)
    assert [ids.name(i) for i in range(len(IDS))] == list(IDS)
    assert ids.lookup(list(reversed(IDS))).tolist() == list(reversed(range(len(IDS))))
    assert ids.position("pat-7f3a") == 2


def test_what_is_not_a_device_of_the_fleet_is_minus_one() -> None:
    ids = DeviceIds(IDS)
    # Cut to the longest id held (10 bytes), the first would be "pir-bath-2"; a prefix of
    # an id, an id sorted after all, before all, and nothing at all.
    asked = ["pir-bath-20", "pir-", "zzz", "a", "", "pir-bath"]
    assert ids.lookup(asked).tolist() == [-1, -1, -1, -1, -1, 3]
    assert ids.lookup([]).tolist() == []
    with pytest.raises(KeyError):
        ids.position("pir-bath-20")


def test_an_empty_fleet_finds_nothing() -> None:
    none = DeviceIds(())
    assert len(none) == 0
    assert none.lookup(["door"]).tolist() == [-1]
    assert DeviceIds(IDS).positions_of(none).tolist() == []


def test_the_devices_of_another_fleet_are_found_here_by_position() -> None:
    old = DeviceIds(IDS)
    new = DeviceIds(["b", "new-one-longer-than-all", "door", "pir-bed"])
    np.testing.assert_array_equal(old.positions_of(new), [4, -1, 1, 0])
    np.testing.assert_array_equal(new.positions_of(old), [3, 2, -1, -1, 0, -1])


def test_an_id_held_twice_is_found_at_its_first_position() -> None:
    # The devices table cannot hold one twice; a homes file given to ``tanfang evaluate``
    # could: the fleet and the file's reader (``eval_input.index_of``) both keep the first.
    assert DeviceIds(["a", "b", "a"]).lookup(["a", "b"]).tolist() == [0, 1]
    assert index_of(["a", "b", "a"]) == {"a": 0, "b": 1}


def test_many_ids_are_looked_up_a_part_at_a_time_as_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(device_ids, "LOOKUP_IDS", 2)
    ids = DeviceIds(IDS)
    asked = [*reversed(IDS), "nope"]
    assert ids.lookup(asked).tolist() == [*reversed(range(len(IDS))), -1]
