"""Create or update the elders, devices and contacts of a homes.json (contract §4) through
the API, so that running it twice changes nothing.

An elder or device the API already has (409) is read back and only the fields that differ
from the file are PATCHed; a contact is added unless one with the same name, phone and
relation is already on the elder's file. A record the API refuses is counted with its id and
the names of the refused fields (never their values: names and phone numbers) and the
import goes on with the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final, TypeVar

import httpx

from simulators.api_client import ApiClient, path_of, refused_fields
from simulators.homes_file import CONTACTS, DEVICES, ELDERS, Homes, Record

KINDS: Final = (ELDERS, DEVICES, CONTACTS)
CREATED: Final = "created"
UPDATED: Final = "updated"
UNCHANGED: Final = "unchanged"
REFUSED: Final = "refused"
OUTCOMES: Final = (CREATED, UPDATED, UNCHANGED, REFUSED)

# Requests in flight at once: each record is a round trip or two, and a few in parallel
# hide the latency of an API across a network; more would only queue at its database pool.
WORKERS: Final = 4
# Devices asked for per list request: the API's largest page (api.pagination.MAX_LIMIT).
PAGE_LIMIT: Final = 500
# What the API adds to its answers (§2): a homes.json exported from GETs carries them, and
# they are not the file's to set, so they are neither sent nor compared.
ELDER_READ_ONLY: Final = frozenset(
    {"category", "category_reason", "masked", "no_contact", "created_at", "updated_at"}
)
DEVICE_READ_ONLY: Final = frozenset(
    {"online", "last_seen", "battery", "rssi", "status", "status_changed_at"}
    | {"created_at", "updated_at"}
)
CONTACT_KEY: Final = ("name", "phone", "relation")
# A refused id is shown cut here (valid ids are at most 64 characters; a file may hold any).
MAX_IDENT: Final = 64
_ABSENT: Final = object()
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Refusal:
    """A record the API refused: which, the HTTP status and the refused field names."""

    kind: str
    ident: str
    status: int
    fields: tuple[str, ...]

    def __str__(self) -> str:
        line = f"refused {self.kind} {self.ident}: HTTP {self.status}"
        return line + (" (" + ", ".join(self.fields) + ")" if self.fields else "")


@dataclass(frozen=True, slots=True)
class Outcome:
    kind: str
    outcome: str
    refusal: Refusal | None = None


def _refused(
    kind: str, ident: str, response: httpx.Response, fields: tuple[str, ...] = ()
) -> Outcome:
    if response.status_code == 422:
        fields = tuple(refused_fields(response))
    refusal = Refusal(kind.rstrip("s"), ident[:MAX_IDENT], response.status_code, fields)
    return Outcome(kind, REFUSED, refusal)


@dataclass(slots=True)
class ImportReport:
    counts: dict[str, Counter[str]] = field(default_factory=lambda: {k: Counter() for k in KINDS})
    refusals: list[Refusal] = field(default_factory=list)

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.kind][outcome.outcome] += 1
        if outcome.refusal is not None:
            self.refusals.append(outcome.refusal)

    @property
    def refused(self) -> int:
        return sum(self.counts[kind][REFUSED] for kind in KINDS)

    def summary(self) -> str:
        """One line: per kind, how many were created, updated, unchanged and refused."""
        return "; ".join(
            f"{kind}: " + ", ".join(f"{self.counts[kind][o]} {o}" for o in OUTCOMES)
            for kind in KINDS
        )


def import_homes(
    homes: Homes, client: ApiClient, *, on_done: Callable[[int], None] | None = None
) -> ImportReport:
    """Elders first, then their contacts, then the devices that refer to them; within each
    kind, ``WORKERS`` requests at a time. ``on_done(n)`` hears of each n records done (of
    ``homes.records``). Refusals are listed in file order."""
    report = ImportReport()
    done = on_done or (lambda _n: None)
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="import") as pool:
        try:
            phases: list[Iterator[list[Outcome]]] = [
                _each(pool, _elder_task(client), homes.elders),
                _each(pool, _contacts_task(client), homes.contacts.items()),
                _each(pool, _devices_task(client), _by_elder(homes.devices)),
            ]
            for phase in phases:  # each map starts only when the one before has ended
                for outcomes in phase:
                    for outcome in outcomes:
                        report.add(outcome)
                    done(len(outcomes))
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
    return report


def _each(
    pool: ThreadPoolExecutor, task: Callable[[T], list[Outcome]], items: Iterable[T]
) -> Iterator[list[Outcome]]:
    """``pool.map`` started lazily, so that a phase begins once the previous one is over."""
    yield from pool.map(task, items)


def _elder_task(client: ApiClient) -> Callable[[Record], list[Outcome]]:
    return lambda elder: [_upsert(client, ELDERS, _without(elder, ELDER_READ_ONLY))]


def _contacts_task(client: ApiClient) -> Callable[[tuple[str, list[Record]]], list[Outcome]]:
    return lambda item: _add_contacts(client, *item)


def _devices_task(
    client: ApiClient,
) -> Callable[[tuple[object, list[Record]]], list[Outcome]]:
    return lambda group: _import_devices(client, *group)


def _without(record: Record, read_only: Iterable[str]) -> Record:
    return {key: value for key, value in record.items() if key not in read_only}


def _by_elder(devices: list[Record]) -> list[tuple[object, list[Record]]]:
    """The file's devices grouped by their elder, in file order of first appearance."""
    groups: dict[object, list[Record]] = {}
    for device in devices:
        elder_id = device.get("elder_id")
        key = elder_id if isinstance(elder_id, str) else None
        groups.setdefault(key, []).append(_without(device, DEVICE_READ_ONLY))
    return list(groups.items())


def _import_devices(client: ApiClient, elder_id: object, devices: list[Record]) -> list[Outcome]:
    """One elder's devices: read what the API has installed there in a page (instead of a
    POST and a GET per device: a second run of a big file is mostly reads), then upsert."""
    installed = _installed(client, elder_id) if isinstance(elder_id, str) else {}
    return [_upsert(client, DEVICES, body, installed.get(str(body["id"]))) for body in devices]


def _installed(client: ApiClient, elder_id: str) -> dict[str, Record]:
    found: dict[str, Record] = {}
    params: dict[str, str | int] = {"elder_id": elder_id, "limit": PAGE_LIMIT}
    while True:
        page = client.request("GET", f"/{DEVICES}", params=params)
        if not page.is_success:  # an elder id the API refuses: each device will say why
            return found
        body = page.json()
        found.update((item["id"], item) for item in body["items"])
        if not body.get("next_cursor"):
            return found
        params["cursor"] = body["next_cursor"]


def _upsert(client: ApiClient, kind: str, body: Record, on_file: Record | None = None) -> Outcome:
    """Create the record, or PATCH the fields of ``body`` that differ from the API's."""
    ident = str(body["id"])
    if on_file is None:
        created = client.request("POST", f"/{kind}", body)
        if created.status_code != 409:
            return Outcome(kind, CREATED) if created.is_success else _refused(kind, ident, created)
        current = client.request("GET", path_of(kind, ident))
        if not current.is_success:
            return _refused(kind, ident, current)
        on_file = current.json()
    changes = {k: v for k, v in body.items() if k != "id" and on_file.get(k, _ABSENT) != v}
    if not changes:
        return Outcome(kind, UNCHANGED)
    patched = client.request("PATCH", path_of(kind, ident), changes)
    if not patched.is_success:
        return _refused(kind, ident, patched)
    # The API may store a value in its own form (a town's registered name for an alias):
    # then the PATCH changed nothing, and the record counts as unchanged.
    after = patched.json()
    changed = any(after.get(k, _ABSENT) != on_file.get(k, _ABSENT) for k in changes)
    return Outcome(kind, UPDATED if changed else UNCHANGED)


def _add_contacts(client: ApiClient, elder_id: str, wanted: list[Record]) -> list[Outcome]:
    """Add the contacts not yet on the elder's file (a writer's read shows them unmasked);
    one already there, even twice in the file, is never added again."""
    listed = client.request("GET", path_of(ELDERS, elder_id, CONTACTS))
    if not listed.is_success:
        # Most often the elder was refused or is not on file: its contacts cannot be added.
        fields = ("elder_id",) if listed.status_code == 404 else ()
        return [
            _refused(CONTACTS, _contact_ident(elder_id, number), listed, fields)
            for number in range(1, len(wanted) + 1)
        ]
    on_file = Counter(_contact_key(contact) for contact in listed.json())
    outcomes: list[Outcome] = []
    for number, contact in enumerate(wanted, start=1):
        key = _contact_key(contact)
        if on_file[key] > 0:
            on_file[key] -= 1
            outcomes.append(Outcome(CONTACTS, UNCHANGED))
            continue
        added = client.request("POST", path_of(ELDERS, elder_id, CONTACTS), contact)
        if added.is_success:
            outcomes.append(Outcome(CONTACTS, CREATED))
        else:
            outcomes.append(_refused(CONTACTS, _contact_ident(elder_id, number), added))
    return outcomes


def _contact_key(contact: Record) -> tuple[str | None, ...]:
    return tuple(
        value if isinstance(value := contact.get(name), str) else None for name in CONTACT_KEY
    )


def _contact_ident(elder_id: str, number: int) -> str:
    """A contact is named by its elder and its place in the file, never by its name."""
    return f"{elder_id[:MAX_IDENT]}#{number}"
