"""Where a quiet began (``HouseholdState.quiet_room``, ``baseline.place_of``): the room the
elder was last seen in, not the room of a meter's late report."""

from __future__ import annotations

from gateway.detectors import DeviceInfo, apply, build_homes, new_state
from gateway.detectors.baseline import ELSEWHERE, IN_BEDROOM, PASSING, place_of
from gateway.detectors.homes import Homes
from gateway.detectors.state import HouseholdState
from tests.gateway.detectors.timeline import at, events

ELDER = "KP-1"
SENSORS = (
    DeviceInfo("pir-living", ELDER, "motion_sensor", "living_room", 7200),
    DeviceInfo("pir-bath", ELDER, "motion_sensor", "bathroom", 7200),
    DeviceInfo("pir-kitchen", ELDER, "motion_sensor", "kitchen", 7200),
    DeviceInfo("mat", ELDER, "bed_sensor", "bedroom", 7200),
    DeviceInfo("tap", ELDER, "water_meter", "kitchen", 7200),
    DeviceInfo("tv", ELDER, "power_meter", "living_room", 7200),
)
# A contacts-and-meters kit like the real recording's: nothing sees where the elder sits.
METERS = (
    DeviceInfo("kettle", "KP-2", "power_meter", "kitchen", 7200),
    DeviceInfo("cupboard", "KP-2", "door_sensor", "kitchen", 7200),
    DeviceInfo("front", "KP-2", "door_sensor", "entrance", 7200),
)


def _after(rows: list[tuple[str, str, str, float]]) -> tuple[Homes, HouseholdState]:
    h = build_homes([ELDER, "KP-2"], SENSORS + METERS)
    state = new_state(h)
    apply(h, state, events(h, rows))
    return h, state


def test_a_taps_report_as_one_sits_down_does_not_move_the_quiet_to_the_kitchen() -> None:
    # Seen walking into the living room; the kitchen tap's use reported a second later.
    _, state = _after(
        [
            ("2026-07-15 12:09", "pir-kitchen", "motion", 1),
            ("2026-07-15 12:16:14", "pir-living", "motion", 1),
            ("2026-07-15 12:16:15", "tap", "water", 6.8),
        ]
    )
    assert state.life[0] == at("2026-07-15 12:16:15")  # still life
    assert place_of(state)[0] == ELSEWHERE  # a chair: judged as one


def test_back_in_bed_after_the_toilet_is_a_quiet_in_the_bedroom() -> None:
    # The bedroom sensor cannot see the bed; the bed mat says where the elder is.
    _, state = _after(
        [
            ("2026-07-16 01:35:52", "pir-bath", "motion", 1),
            ("2026-07-16 01:37:03", "pir-bath", "motion", 1),
            ("2026-07-16 01:37:12", "tap", "water", 5.8),
            ("2026-07-16 01:38:15", "mat", "bed", 1),
        ]
    )
    assert place_of(state)[0] == IN_BEDROOM


def test_a_quiet_after_the_bathroom_or_the_kitchen_is_one_of_passing_through() -> None:
    _, state = _after([("2026-07-15 10:02", "pir-bath", "motion", 1)])
    assert place_of(state)[0] == PASSING
    # Minutes after the last motion, the tap is where the elder went (unseen): the kitchen.
    _, state = _after(
        [
            ("2026-07-15 10:02", "pir-living", "motion", 1),
            ("2026-07-15 10:09", "tap", "water", 3.0),
        ]
    )
    assert place_of(state)[0] == PASSING


def test_in_a_home_of_meters_and_contacts_the_last_life_is_the_place() -> None:
    _, state = _after(
        [
            ("2026-07-15 07:00", "kettle", "power", 0),  # a plug's first report: no edge
            ("2026-07-15 08:00", "cupboard", "door", 1),
            ("2026-07-15 08:01", "kettle", "power", 1850),
        ]
    )
    assert place_of(state)[1] == PASSING  # the kettle: the kitchen
