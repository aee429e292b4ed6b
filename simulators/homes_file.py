"""homes.json (contract §4): the elders, devices and contacts of a set of homes, as the
simulator writes it and ``tanfang import`` reads it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ELDERS: Final = "elders"
DEVICES: Final = "devices"
CONTACTS: Final = "contacts"

Record = dict[str, Any]


class HomesFormatError(ValueError):
    """The file is not JSON, or not the homes.json format."""


@dataclass(frozen=True, slots=True)
class Homes:
    """What a homes.json asks for; unknown top-level keys (the simulator's ``simulation``
    block) are left out."""

    elders: list[Record]
    devices: list[Record]
    contacts: dict[str, list[Record]]

    @property
    def records(self) -> int:
        return len(self.elders) + len(self.devices) + sum(map(len, self.contacts.values()))


def load_homes(path: Path) -> Homes:
    """``path`` read and checked; ``HomesFormatError`` naming the file and what is wrong."""
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        raise HomesFormatError(f"{path}: cannot read it ({exc.strerror})") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise HomesFormatError(f"{path}: not JSON ({exc})") from None
    try:
        return parse_homes(doc)
    except HomesFormatError as exc:
        raise HomesFormatError(f"{path}: {exc}") from None


def parse_homes(doc: Any) -> Homes:
    """The homes.json object ``doc``; ``HomesFormatError`` naming the first thing wrong."""
    if not isinstance(doc, dict) or not {ELDERS, DEVICES, CONTACTS} & doc.keys():
        raise HomesFormatError('not a homes.json: expected {"elders": […], "devices": […], …}')
    elders = _records(doc.get(ELDERS, []), ELDERS)
    devices = _records(doc.get(DEVICES, []), DEVICES)
    contacts = doc.get(CONTACTS, {})
    if not isinstance(contacts, dict):
        raise HomesFormatError('"contacts" must be an object of elder id → list of contacts')
    for elder_id, listed in contacts.items():
        if not isinstance(listed, list) or not all(isinstance(c, dict) for c in listed):
            raise HomesFormatError(f'"contacts" of {elder_id[:64]!r} must be a list of objects')
    return Homes(elders, devices, contacts)


def _records(value: Any, kind: str) -> list[Record]:
    if not isinstance(value, list):
        raise HomesFormatError(f'"{kind}" must be a list of objects')
    for index, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise HomesFormatError(f'{kind}[{index}] is not an object with a string "id"')
    return value
