"""Foreign sources on the gateway's MQTT session: adapter → bound device → the native path.

With ``TANFANG_ADAPTERS`` the gateway also subscribes to each enabled adapter's topic
filters. A message on one of them is handed to its adapter (pure; edge memory per source,
per gateway process); its readings, bound to devices (``devices.sources_repo``), become
events through the same decoder and kinds-per-type check as native ones
(``gateway.foreign``) and go to the same batcher: a critical one is a batch of its own on
the critical lane, and the MQTT message is acknowledged only when everything it produced is
committed. Availability becomes the device's status as the native retained status topic
does; what cannot be used is a dead letter with its source and address.

Bindings are held in memory: an address found is kept until the device registry tells of a
change (any device's binding, type or elder: ``Registry.watch``), an address bound to no
device is asked again after ``NEGATIVE_TTL_S`` (or at once after a change). A message whose
addresses are all known takes no database round trip; one with an address not known waits
for one query (retried while the database is down, the message staying unacknowledged).

Foreign messages carry no ``seq``: a QoS 1 redelivery of a message the gateway stored but
could not acknowledge (a crash between commit and PUBACK) is stored a second time.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

import psycopg
from psycopg_pool import PoolTimeout

from devices import sources_repo
from devices.adapters.base import Adapter, AdapterSettings, Alias, Memory, Output
from devices.adapters.registry import topic_matches
from devices.registry import Registry
from devices.schema import Reason
from devices.sources_repo import Bound
from gateway import metrics
from gateway.batcher import Batcher, NotAcknowledgedError
from gateway.foreign import Message, Planned, addresses_of, letter, plan
from gateway.kinds import raise_unbound_critical, raise_unexpected
from gateway.writer import RETRY_MAX_S
from store.pool import Pool

log = logging.getLogger(__name__)

T = TypeVar("T")

# An address bound to no device is asked of the database again after this long (a binding
# clears it at once through the registry's notification): a flood from unbound sensors costs
# one query per address per this long.
NEGATIVE_TTL_S: Final = 5.0
# Addresses held in memory; past it the map is emptied (and filled again as messages come).
BOOK_MAX: Final = 200_000
_TOPIC_CACHE_MAX: Final = 100_000
_RETRY_FIRST_S: Final = 0.1

# The native handler: (topic, payload, redelivered, retained) → the commit's future.
NativeHandler = Callable[[str, bytes, bool, bool], "asyncio.Future[Any]"]


class SourceBook:
    """(source kind, address) → the bound device, or None for "bound to none" until its
    expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._bound: dict[tuple[str, str], Bound] = {}
        self._unbound: dict[tuple[str, str], float] = {}
        self._clock = clock

    def clear(self, _changed: str | None = None) -> None:
        """Forget everything (a registry listener: any device change may move a binding)."""
        self._bound.clear()
        self._unbound.clear()

    def known(self, kind: str, addresses: Sequence[str]) -> dict[str, Bound] | None:
        """The bound devices of ``addresses`` when every one of them is known, else None."""
        now = self._clock()
        found: dict[str, Bound] = {}
        for address in addresses:
            key = (kind, address)
            bound = self._bound.get(key)
            if bound is not None:
                found[address] = bound
            elif self._unbound.get(key, 0.0) <= now:
                return None
        return found

    def learn(self, kind: str, asked: Sequence[str], found: dict[str, Bound]) -> None:
        if len(self._bound) + len(self._unbound) > BOOK_MAX:
            self.clear()
        expiry = self._clock() + NEGATIVE_TTL_S
        for address in asked:
            bound = found.get(address)
            if bound is None:
                self._unbound[(kind, address)] = expiry
            else:
                self._bound[(kind, address)] = bound


class ForeignIngest:
    """Routes a message on an adapter's topics through its adapter; any other message to
    the native handler. ``handle`` never raises but ``NotAcknowledgedError``."""

    def __init__(
        self,
        adapters: Sequence[Adapter],
        settings: AdapterSettings,
        *,
        registry: Registry,
        batcher: Batcher,
        pool: Pool,
        native: NativeHandler,
    ) -> None:
        self._adapters = list(adapters)
        self._settings = settings
        self._batcher = batcher
        self._pool = pool
        self._native = native
        self._filters = [(f, a) for a in self._adapters for f in a.filters(settings)]
        self._memory = {a.kind: Memory() for a in self._adapters}
        self._topics: dict[str, Adapter | None] = {}
        self.book = SourceBook()
        registry.watch(self.book.clear)
        # Lookups of one source in the order their messages came: an alias list (zigbee2mqtt's
        # bridge/devices) is saved before a later message's address is looked up.
        self._lookups = {a.kind: asyncio.Lock() for a in self._adapters}
        # While a source's lookup is out, its later messages queue behind it (in order),
        # even those whose addresses the book knows: none overtakes an alias list.
        self._pending = dict.fromkeys(self._lookups, 0)

    @property
    def filters(self) -> list[str]:
        """The adapters' topic filters, for the session's subscriptions."""
        return [f for f, _ in self._filters]

    def _adapter_of(self, topic: str) -> Adapter | None:
        if topic in self._topics:
            return self._topics[topic]
        if len(self._topics) >= _TOPIC_CACHE_MAX:
            self._topics.clear()
        found = next((a for f, a in self._filters if topic_matches(f, topic)), None)
        self._topics[topic] = found
        return found

    def handle(
        self, topic: str, payload: bytes, redelivered: bool = False, retained: bool = False
    ) -> asyncio.Future[Any]:
        """As ``gateway.ingest.Ingest.handle``, for every topic the session receives."""
        adapter = self._adapter_of(topic) if self._filters else None
        if adapter is None:
            return self._native(topic, payload, redelivered, retained)
        message = Message(adapter.kind, topic, payload, datetime.now(UTC))
        metrics.FOREIGN_MESSAGES.labels(source=adapter.kind).inc()
        try:
            outputs = adapter.adapt(
                topic,
                payload,
                self._memory[adapter.kind],
                message.received_at.timestamp(),
                self._settings,
            )
            single, nodes = addresses_of(outputs)
            aliases = [o for o in outputs if isinstance(o, Alias)]
            queued = aliases or nodes or self._pending[adapter.kind]
            known = None if queued else self.book.known(adapter.kind, single)
            if known is not None:
                return self._settle(message, plan(message, outputs, known, {}))
        except NotAcknowledgedError:
            raise
        except Exception as exc:  # the last resort, as the native handler's
            return self._failed(message, exc)
        if self._batcher.closing:
            raise NotAcknowledgedError("the gateway is stopping")
        self._pending[adapter.kind] += 1
        return asyncio.get_running_loop().create_task(
            self._looked_up(message, outputs, single, nodes, aliases), name="foreign-lookup"
        )

    async def _looked_up(
        self,
        message: Message,
        outputs: Sequence[Output],
        single: list[str],
        nodes: list[str],
        aliases: list[Alias],
    ) -> None:
        try:
            async with self._lookups[message.kind]:
                known = None if aliases or nodes else self.book.known(message.kind, single)
                if known is None:
                    bound, under = await self._retrying(
                        lambda: self._lookup(message.kind, single, nodes, aliases)
                    )
                else:
                    bound, under = known, {}
                futures = self._settle(message, plan(message, outputs, bound, under))
        except NotAcknowledgedError:
            raise
        except Exception as exc:
            futures = self._failed(message, exc)
        finally:
            self._pending[message.kind] -= 1
        await futures

    async def _lookup(
        self, kind: str, single: list[str], nodes: list[str], aliases: list[Alias]
    ) -> tuple[dict[str, Bound], dict[str, list[Bound]]]:
        async with self._pool.connection() as conn:
            if aliases:
                pairs = [(a.name, a.address) for a in aliases]
                if await sources_repo.save_aliases(conn, kind, pairs):
                    await conn.commit()
                    self.book.clear()  # a name may now find a device it did not
            bound = await sources_repo.bound_devices(conn, kind, single) if single else {}
            under = await sources_repo.devices_under(conn, kind, nodes) if nodes else {}
        self.book.learn(kind, single, bound)
        return bound, under

    async def _retrying(self, attempt: Callable[[], Awaitable[T]]) -> T:
        delay = _RETRY_FIRST_S
        while True:
            try:
                result = await attempt()
            except (psycopg.OperationalError, PoolTimeout) as exc:
                if self._batcher.closing:
                    raise NotAcknowledgedError("stopping with a lookup that cannot run") from exc
                metrics.REGISTRY_LOOKUP_FAILURES.inc()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            else:
                return result

    def _settle(self, message: Message, planned: Planned) -> asyncio.Future[Any]:
        futures: list[asyncio.Future[None]] = []
        for letter_ in planned.letters:
            metrics.EVENTS_REFUSED.labels(reason=letter_.reason).inc()
            futures.append(self._batcher.add_dead_letter(letter_))
        for status in planned.statuses:
            futures.append(self._batcher.add_status(status))
        for unexpected, device_type in planned.unexpected:
            raise_unexpected([unexpected], device_type)
        raise_unbound_critical(message.kind, planned.unbound_critical)
        received = message.received_at.timestamp()
        # Last: a critical event is a batch of its own, committed at once.
        for group in planned.events.values():
            futures.append(self._batcher.add_events(group.events, group.elder_id, received))
        if not futures:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)  # nothing to store (a repeated state): acknowledged now
            return done
        if len(futures) == 1:
            return futures[0]
        return asyncio.gather(*set(futures))

    def _failed(self, message: Message, exc: Exception) -> asyncio.Future[Any]:
        metrics.HANDLER_FAILURES.inc()
        where = traceback.extract_tb(exc.__traceback__)[-1]
        log.error(
            "handling a %s message failed (%s at %s:%s); kept as a dead letter (internal_error)",
            message.kind,
            type(exc).__name__,
            where.filename,
            where.lineno,
        )
        detail = f"handling failed ({type(exc).__name__})"
        dead = letter(message, Reason.INTERNAL_ERROR, detail, None, message.payload)
        return self._batcher.add_dead_letter(dead)
