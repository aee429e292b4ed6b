"""Which adapters exist: source kind → adapter, and which adapter a topic belongs to.

Each source's module (``devices.adapters.<kind>``) exposes its adapter as ``ADAPTER``;
asking for a source that is not one of them is a clear error (``UnknownSourceError``) at
start, never a surprise at the first message.

Vendor platforms that call a URL are sources ``http:<name>`` (``HTTP_PREFIX``): their bodies
are read by ``devices.adapters.http_generic.adapt_body``, not through MQTT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from devices.adapters import esphome, shelly, tasmota, zigbee2mqtt
from devices.adapters.base import Adapter

#: The MQTT sources of CONTRACT §2 (``TANFANG_ADAPTERS``), each a module of this package.
MQTT_KINDS: Final = ("zigbee2mqtt", "tasmota", "shelly", "esphome")
#: A vendor platform posting to ``/api/v1/ingest/<name>`` is the source ``http:<name>``.
HTTP_PREFIX: Final = "http:"
HTTP_NAME_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
#: The longest foreign address kept (a zigbee IEEE address is 18 characters, an ESPHome
#: node/sensor rarely over 60): longer ones are refused as made up.
MAX_ADDRESS_LENGTH: Final = 200


class UnknownSourceError(ValueError):
    """A source kind that is not one of ours."""


#: The adapters, by kind.
ADAPTERS: Final[Mapping[str, Adapter]] = {
    module.ADAPTER.kind: module.ADAPTER for module in (zigbee2mqtt, tasmota, shelly, esphome)
}


def source_kind_problem(kind: str) -> str | None:
    """Why ``kind`` is not a source a device may be bound to (None: it is)."""
    if kind.startswith(HTTP_PREFIX):
        if HTTP_NAME_RE.fullmatch(kind.removeprefix(HTTP_PREFIX)):
            return None
        return "an http source is http:<name>, the name of 1-64 letters, digits, _ . -"
    if kind in MQTT_KINDS:
        return None
    return f"unknown source kind; one of {', '.join(MQTT_KINDS)} or http:<name>"


def enabled(kinds: Sequence[str]) -> list[Adapter]:
    """The adapters of ``kinds`` (``TANFANG_ADAPTERS``); an unknown kind raises
    ``UnknownSourceError`` naming it."""
    unknown = [kind for kind in kinds if kind not in ADAPTERS]
    if unknown:
        raise UnknownSourceError(
            f"TANFANG_ADAPTERS: unknown source {unknown[0]!r}; one of {', '.join(MQTT_KINDS)}"
        )
    return [ADAPTERS[kind] for kind in kinds]


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Whether ``topic`` matches the MQTT ``topic_filter`` (``+`` one level, ``#`` the rest)."""
    wanted = topic_filter.split("/")
    levels = topic.split("/")
    for i, part in enumerate(wanted):
        if part == "#":
            return True
        if i >= len(levels):
            return False
        if part not in {"+", levels[i]}:
            return False
    return len(levels) == len(wanted)
