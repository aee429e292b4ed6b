"""Who read or changed which elder's file, and when (records of access under the Personal
Information Protection Law; the plan asks that the elders' privacy be protected).

The log is append-only: no API route edits it and the database refuses UPDATE, DELETE and
TRUNCATE on it for every role, under session_replication_role = replica too, and refuses
disabling or dropping those guards (migrations 0010, 0031). Entries name the token, never
the elder's name or phone. A refused attempt (a 403) is an entry too (``Attempt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel

READ: Final = "read"
LIST: Final = "list"
CREATE: Final = "create"
UPDATE: Final = "update"
EXPORT: Final = "export"
REPLAY: Final = "replay"
REFUSED: Final = "refused"
DELETE: Final = "delete"


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller as the audit log and the file's history name them."""

    name: str  # "admin" or "token:<id>"
    role: str
    town: str | None = None


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a refused caller asked for: written to the audit log as a ``refused`` entry in a
    transaction of its own (the request's own transaction is rolled back)."""

    actor: Actor
    entity: str  # "elder", "elder.contacts", …; "device.events" for a device's events
    entity_id: str | None
    town: str | None = None
    detail: dict[str, Any] | None = None


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str | None
    town: str | None
    detail: dict[str, Any] | None
