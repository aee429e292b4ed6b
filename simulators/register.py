"""Create the world's elders, contacts and devices through the HTTP API, idempotently: the
importer of ``tanfang import`` (simulators.homes_import) given the world's homes.json."""

from __future__ import annotations

import logging

import httpx

from simulators.api_client import ApiClient
from simulators.homes_file import parse_homes
from simulators.homes_import import ImportReport, import_homes
from simulators.world import World

log = logging.getLogger(__name__)


class RegisterError(RuntimeError):
    """The API refused some of what the simulator sent (the others are registered)."""


def register_world(
    world: World, api_url: str, token: str, *, transport: httpx.BaseTransport | None = None
) -> ImportReport:
    """Create or update the world's elders, contacts and devices; what the API has already
    is kept, or updated where it differs. Raises ``RegisterError`` naming the refused
    records (ids and field names only) after registering all the others."""
    with ApiClient(api_url, token, transport=transport) as client:
        report = import_homes(parse_homes(world.homes_json()), client)
    log.info("registered the simulated homes: %s", report.summary())
    if report.refusals:
        raise RegisterError("; ".join(str(refusal) for refusal in report.refusals))
    return report
