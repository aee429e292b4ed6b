"""The care use cases of an elder's file (一人一檔): what the API (and any other caller)
calls. Each one is one transaction's logic on the caller's connection: the town rule, the
checks that need the database, the writes, and the audit record. Answers are unmasked
domain objects; the caller masks them for its reader (api/masking.py).

Visits, compliance, the due list, watch periods and the monthly report are in
``care.visit_services``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from care import activity_repo, audit, audit_repo, contacts_repo, history_repo, repo
from care.access import NO_SUCH_ELDER, check_town, readable_elder, scope_town
from care.activity import Activity, Window, timeline
from care.audit import Actor, Attempt, AuditEntry
from care.category import age_on, classify
from care.contacts import Contact, ContactCreate
from care.errors import ConflictError, InvalidFieldError, NotFoundError
from care.history import ElderChange
from care.models import Elder, ElderCreate, ElderFile, ElderUpdate
from care.town_services import filter_town, registered_town
from store.db import Conn

ON_FILE = "an elder with this id is on file"
DEVICE_EVENTS = "device.events"
ELDER_EVENTS = "elder.events"


@dataclass(frozen=True, slots=True)
class ElderQuery:
    """A page of the elders' list: filters, and the keyset position."""

    town: str | None = None
    category: str | None = None
    q: str | None = None
    q_id_only: bool = False
    """Match ``q`` against the file id only (for readers who see identity masked: a search
    by name or phone would confirm the masked value)."""
    after: str | None = None
    limit: int = 50


def file_of(
    elder: Elder, today: date, tz: ZoneInfo, *, no_contact: bool | None = None
) -> ElderFile:
    """The record with its category on ``today`` and the day it was filed."""
    category, reason = classify(elder, today)
    return ElderFile.model_validate(
        {
            **elder.model_dump(),
            "filed_on": elder.filed_day(tz),
            "category": category,
            "category_reason": reason,
            "no_contact": no_contact,
            "age_band": None if elder.birth_date is None else age_band(elder.birth_date, today),
        }
    )


AGE_BAND_YEARS = 5


def age_band(birth: date, today: date) -> str:
    """The age on ``today`` in a band of five years: 83 → "80-84"."""
    low = age_on(birth, today) // AGE_BAND_YEARS * AGE_BAND_YEARS
    return f"{low}-{low + AGE_BAND_YEARS - 1}"


def filed_on(value: date | None, today: date) -> date:
    """The day the file was opened: today when not given; InvalidFieldError when in the future."""
    if value is None:
        return today
    if value > today:
        raise InvalidFieldError("filed_on", "a file cannot be opened in the future", str(value))
    return value


def refusal_fields(
    consent: bool, reason: str | None, refused_on: date | None, today: date
) -> dict[str, object]:
    """A refusal of visits (``visit_consent: false``) needs its reason; its date defaults
    to today. Returns the fields to store besides what was sent."""
    if consent:
        return {}
    if not reason:
        raise InvalidFieldError("refusal_reason", "a refusal of visits needs its reason", reason)
    return {} if refused_on is not None else {"refusal_date": today}


async def create_elder(
    conn: Conn, actor: Actor, elder: ElderCreate, *, today: date, tz: ZoneInfo
) -> ElderFile:
    """Open an elder's file, filed under the town's registered name; town staff file
    elders of their own town only."""
    town = await registered_town(conn, elder.town)
    check_town(actor, town, "elder", elder.id)
    elder = elder.model_copy(
        update=refusal_fields(elder.visit_consent, elder.refusal_reason, elder.refusal_date, today)
        | {"filed_on": filed_on(elder.filed_on, today), "town": town}
    )
    await audit_repo.set_actor(conn, actor)
    try:
        stored = await repo.insert_elder(conn, elder)
    except repo.DuplicateElderError:
        raise ConflictError(ON_FILE) from None
    await audit_repo.record(conn, actor, audit.CREATE, "elder", elder.id, town=elder.town)
    return file_of(stored, today, tz)


async def elder_file(
    conn: Conn, actor: Actor, elder_id: str, *, today: date, tz: ZoneInfo
) -> ElderFile:
    """One file, and whether it has any emergency contact; the read is audited."""
    elder = await readable_elder(conn, actor, elder_id, what="elder")
    no_contact = not await contacts_repo.has_contacts(conn, elder_id)
    return file_of(elder, today, tz, no_contact=no_contact)


async def update_elder(
    conn: Conn, actor: Actor, elder_id: str, changes: ElderUpdate, *, today: date, tz: ZoneInfo
) -> ElderFile:
    """Change the fields sent; a file may be moved only to the actor's own town."""
    fields = changes.changes()
    if "filed_on" in fields:
        filed_on(changes.filed_on, today)
    if "town" in fields:
        town = await registered_town(conn, str(fields["town"]))
        check_town(actor, town, "elder", elder_id)
        fields["town"] = town
    current = await repo.get_elder(conn, elder_id)
    if current is None:
        raise NotFoundError(NO_SUCH_ELDER)
    check_town(actor, current.town, "elder", elder_id)
    merged = {**current.model_dump(), **fields}
    fields |= refusal_fields(
        merged["visit_consent"], merged["refusal_reason"], merged["refusal_date"], today
    )
    await audit_repo.set_actor(conn, actor)
    updated = await repo.update_elder(conn, elder_id, fields)
    if updated is None:  # deleted between the two statements
        raise NotFoundError(NO_SUCH_ELDER)
    detail = {"fields": sorted(fields)}
    await audit_repo.record(
        conn, actor, audit.UPDATE, "elder", elder_id, town=current.town, detail=detail
    )
    return file_of(updated, today, tz)


async def list_elders(
    conn: Conn, actor: Actor, query: ElderQuery, *, today: date, tz: ZoneInfo
) -> list[ElderFile]:
    """Up to ``limit + 1`` files after ``after`` in id order (one more tells the caller a
    next page exists); the category is computed by the database on ``today``. Town staff
    get their own town. The ids shown are written to the audit log."""
    town = scope_town(actor, await filter_town(conn, query.town))
    rows = await repo.list_elders(
        conn,
        town=town,
        q=query.q,
        q_id_only=query.q_id_only,
        after=query.after,
        limit=query.limit + 1,
        category=query.category,
        on=today,
    )
    detail = {"ids": [e.id for e in rows[: query.limit]]}
    await audit_repo.record(conn, actor, audit.LIST, "elder", None, town=town, detail=detail)
    return [file_of(elder, today, tz) for elder in rows]


async def add_contact(
    conn: Conn, actor: Actor, elder_id: str, contact: ContactCreate
) -> list[Contact]:
    """Add an emergency contact; answers the elder's contacts in calling order."""
    await readable_elder(conn, actor, elder_id, what="elder.contacts", write=True)
    await contacts_repo.add_contact(conn, elder_id, contact, actor.name)
    return _numbered(await contacts_repo.list_contacts(conn, elder_id))


async def elder_contacts(conn: Conn, actor: Actor, elder_id: str) -> list[Contact]:
    """The elder's contacts in calling order (``order`` 1 first); the read is audited."""
    await readable_elder(conn, actor, elder_id, what="elder.contacts")
    return _numbered(await contacts_repo.list_contacts(conn, elder_id))


def _numbered(contacts: list[Contact]) -> list[Contact]:
    return [replace(c, order=i) for i, c in enumerate(contacts, start=1)]


async def elder_history(
    conn: Conn, actor: Actor, elder_id: str, *, limit: int
) -> list[ElderChange]:
    """Every change of the file, newest first; the read is audited."""
    await readable_elder(conn, actor, elder_id, what="elder.history")
    return await history_repo.history(conn, elder_id, limit=limit)


async def elder_audit(conn: Conn, elder_id: str, *, limit: int) -> list[AuditEntry]:
    """Every entry about this elder, newest first (for admins only): reads and changes of the
    file, contacts, visits, compliance, history and events, refused attempts, and the lists
    that showed the file."""
    return await audit_repo.about_elder(conn, elder_id, limit=limit)


async def record_events_read(
    conn: Conn, actor: Actor, device_id: str, elder_id: str | None, town: str | None
) -> None:
    """A read of a device's events, in the audit log as a read of its elder's events (the
    fleet's use case cannot write it there: ``devices`` may not import ``care``)."""
    detail = {"device_id": device_id}
    await audit_repo.record(
        conn, actor, audit.READ, ELDER_EVENTS, elder_id, town=town, detail=detail
    )


async def record_refusal(conn: Conn, attempt: Attempt) -> None:
    """A refused attempt (a 403), as a ``refused`` entry. Call it in a transaction of its own:
    the refused request's transaction is rolled back. A device's events are recorded as
    the events of its elder (``elder.events``), so the elder's audit shows them."""
    entity, entity_id, town = attempt.entity, attempt.entity_id, attempt.town
    detail = dict(attempt.detail or {})
    if entity == DEVICE_EVENTS and entity_id is not None:
        detail["device_id"] = entity_id
        owner = await audit_repo.device_elder(conn, entity_id)
        entity, (entity_id, town) = ELDER_EVENTS, owner or (None, None)
    await audit_repo.record(
        conn, attempt.actor, audit.REFUSED, entity, entity_id, town=town, detail=detail
    )


async def record_replay(
    conn: Conn, actor: Actor, device_id: str | None, detail: Mapping[str, Any]
) -> None:
    """An administrator's replay of dead letters, in the audit log (the fleet's use case
    cannot write it there: ``devices`` may not import ``care``)."""
    await audit_repo.record(conn, actor, audit.REPLAY, "dead_letters", device_id, detail=detail)


async def elder_activity(conn: Conn, actor: Actor, elder_id: str, window: Window) -> Activity:
    """The elder's activity in ``window`` as rooms × slots (the console's timeline), read
    and audited as a read of the elder's events: when they were at home, and where."""
    await readable_elder(conn, actor, elder_id, what=ELDER_EVENTS)
    return timeline(elder_id, window, await activity_repo.slot_counts(conn, elder_id, window))
