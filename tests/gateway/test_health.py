"""The gateway's state for ``/healthz`` has one accessor, the API's ``HealthSource``."""

from __future__ import annotations

from api.health import HealthSource
from gateway.service import Gateway
from tanfang.settings import Settings


def test_a_gateway_answers_health_through_health_alone(settings: Settings) -> None:
    gateway = Gateway(settings)
    source: HealthSource = gateway  # mypy checks the protocol
    assert not hasattr(gateway, "healthy"), "two names for one state drift apart"
    state = source.health()
    assert state["running"] is False
    assert state["broker"] == {"connected": False, "subscribed": False, "inflight": 0}
    assert state["last_commit"] is None
