"""Create the world's elders, contacts and devices through the HTTP API, idempotently."""

from __future__ import annotations

import logging

import httpx

from simulators.world import World

log = logging.getLogger(__name__)


class RegisterError(RuntimeError):
    """The API refused what the simulator sent."""


def register_world(
    world: World, api_url: str, token: str, *, transport: httpx.BaseTransport | None = None
) -> None:
    """POST elders, their contacts and devices; those that exist already (409) are kept."""
    base = api_url.rstrip("/")
    if not base.endswith("/api/v1"):
        base += "/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30.0, transport=transport) as client:
        contacts_supported = True
        created = 0
        for home in world.homes:
            if _post(client, "/elders", home.elder, home.elder_id):
                created += 1
                # Contacts only with a new file, so that a second run does not double them.
                for contact in home.contacts if contacts_supported else []:
                    response = client.post(f"/elders/{home.elder_id}/contacts", json=contact)
                    if response.status_code in (404, 405):
                        log.warning("the API has no contacts endpoint yet: contacts skipped")
                        contacts_supported = False
                        break
                    _check(response, "contact", home.elder_id)
        for device in world.devices:
            _post(client, "/devices", device.as_json(), device.id)
    log.info(
        "registered %s new elders of %s, %s devices", created, len(world.homes), len(world.devices)
    )


def _post(client: httpx.Client, path: str, body: dict[str, object], ident: str) -> bool:
    """True when created, False when it existed already."""
    response = client.post(path, json=body)
    if response.status_code == 409:
        return False
    _check(response, path.strip("/"), ident)
    return True


def _check(response: httpx.Response, what: str, ident: str) -> None:
    if response.status_code >= 400:
        message = f"POST {what} {ident}: HTTP {response.status_code}"
        fields = _refused_fields(response) if response.status_code == 422 else []
        if fields:
            message += ": refused fields " + ", ".join(fields)
        raise RegisterError(message)


def _refused_fields(response: httpx.Response) -> list[str]:
    """The names of the fields a 422 refused (``detail[].loc``), and nothing else of the
    body: its messages and echoed input can hold an elder's name or phone number, and this
    error ends up in logs."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return []
    names: list[str] = []
    for item in detail if isinstance(detail, list) else []:
        loc = item.get("loc") if isinstance(item, dict) else None
        if isinstance(loc, list):
            parts = [str(p) for p in loc if isinstance(p, str | int) and not isinstance(p, bool)]
            if parts and parts[0] == "body":
                parts = parts[1:]
            name = ".".join(parts)[:80]
            if name and name not in names:
                names.append(name)
    return names
