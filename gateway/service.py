"""The ingest gateway as one object: ``Gateway(settings).run(stop)``.

Start: migrate, detect the server's features, make the event partitions ahead, load the
device registry, start the writers and the steps' reconcile loop, connect and subscribe
(then ``ready`` is set).
Stop: refuse new messages (they stay unacknowledged, so the broker keeps them for the next
session), commit what is held, let the acknowledgements go out, disconnect.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any

import orjson

from alerting.storms import StormRule
from devices.adapters.base import Adapter, AdapterSettings
from devices.registry import Registry
from devices.schema import cmd_topic
from gateway import metrics
from gateway.alert_publisher import AlertPublisher
from gateway.batcher import NotAcknowledgedError
from gateway.broker import MqttError
from gateway.config import ConfigError, GatewayConfig
from gateway.critical_lane import CriticalLane
from gateway.device_health import BatteryRule
from gateway.drain import drain_session
from gateway.foreign_ingest import ForeignIngest
from gateway.health_loop import HealthLoop, IngestState
from gateway.ingest import Ingest
from gateway.mqtt import Handler, MqttSession
from gateway.reconcile import Reconciler
from gateway.sinks import EventSink
from gateway.slot_keeper import SlotKeeper
from gateway.slots import SlotNames
from gateway.steps import InTransactionStep
from gateway.upkeep import Upkeep
from gateway.writer import Writer
from store.features import detect
from store.migrate import migrate_url
from store.pool import Pool, open_pool
from store.waits import first_of

log = logging.getLogger(__name__)


class Gateway:
    """MQTT in, PostgreSQL out. ``pool`` is used when given (then migrated already and not
    closed here); without it the gateway migrates and opens its own.

    ``steps`` run inside each batch's transaction (``gateway.steps``), ``sinks`` after its
    commit (``gateway.sinks``); ``tanfang.runtime.build_gateway`` composes the real ones.
    ``clock`` (monotonic seconds) times the progress that ``health()`` reports; ``battery``
    is the battery_low rule of the device-health sweep (``gateway.health_loop``), ``storm``
    its storm rule (``alerting.storms``). ``adapters`` are the foreign sources read beside the
    native topics (``gateway.foreign_ingest``), with ``adapter_settings``."""

    def __init__(
        self,
        settings: GatewayConfig,
        pool: Pool | None = None,
        *,
        sinks: Sequence[EventSink] = (),
        steps: Sequence[InTransactionStep] = (),
        clock: Callable[[], float] = time.monotonic,
        battery: BatteryRule | None = None,
        storm: StormRule | None = None,
        adapters: Sequence[Adapter] = (),
        adapter_settings: AdapterSettings | None = None,
    ) -> None:
        self.settings = settings
        self._battery = battery
        self._storm = storm
        self._clock = clock
        self._pool = pool
        self._sinks = list(sinks)
        self._steps = list(steps)
        self._adapters = list(adapters)
        self._adapter_settings = adapter_settings or AdapterSettings()
        self.registry = Registry()
        self._session: MqttSession | None = None
        self._writer: Writer | None = None
        self._ingest: Ingest | None = None
        self._running = False
        self.slots: SlotKeeper | None = None  # with TANFANG_GATEWAY_SLOTS, once claimed

    def health(self) -> dict[str, object]:
        """State for ``/healthz`` (the API's ``HealthSource``): quick, no I/O."""
        session, writer = self._session, self._writer
        last = writer.last_commit if writer else None
        inflight = session.inflight if session else 0
        return {
            "running": self._running,
            "broker": {
                "connected": bool(session and session.connected),
                "subscribed": bool(session and session.subscribed.is_set()),
                "inflight": inflight,
            },
            # Messages waiting and none completed for a while: ingest is stalled.
            "ingest": session.progress.state(inflight) if session else {"stalled": False},
            "database": {"failing": bool(writer and writer.failing)},
            "last_commit": datetime.fromtimestamp(last, UTC).isoformat() if last else None,
            "queue_depth": writer.batcher.depth if writer else 0,
            "registry_devices": len(self.registry),
            "lookup_waiting": self._ingest.misses.waiting if self._ingest else 0,
        }

    def ingest_state(self) -> IngestState:
        """Whether ingest works now (session up and subscribed, commits succeeding, not
        stalled): what the health loop calls our own outage when it does not."""
        session, writer = self._session, self._writer
        if session is None or writer is None:
            return IngestState(working=False, connections=0)
        stalled = session.progress.state(session.inflight).get("stalled") is True
        working = (
            session.connected and session.subscribed.is_set() and not writer.failing and not stalled
        )
        return IngestState(working=working, connections=session.connections)

    async def send_command(self, device_id: str, command: dict[str, Any]) -> None:
        """Publish a command object to the device's ``…/cmd`` topic (contract §1).

        Raises ``MqttError`` while the gateway is not connected to the broker."""
        session = self._session
        if session is None:
            raise MqttError("the gateway is not running")
        session.publish(cmd_topic(self.settings.topic_root, device_id), orjson.dumps(command))

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> None:
        settings = self.settings
        if not settings.database_url or not settings.mqtt_url:
            raise ConfigError("the gateway needs TANFANG_MQTT_URL and TANFANG_DATABASE_URL")
        _tune_gc()
        loop = asyncio.get_running_loop()
        previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(_quiet_not_acknowledged(previous_handler))
        try:
            async with AsyncExitStack() as stack:
                pool = self._pool
                if pool is None:
                    # As the API's lifespan: whoever hands in a pool has migrated already.
                    await migrate_url(settings.database_url)
                    pool = await stack.enter_async_context(
                        open_pool(settings.database_url, max_size=settings.database_pool_max)
                    )
                # Critical batches are committed on a loop and connections of their own.
                lane = await stack.enter_async_context(CriticalLane(settings.database_url))
                self._running = True
                await self._serve(pool, lane, settings.database_url, stop, ready)
        finally:
            self._running = False
            loop.set_exception_handler(previous_handler)

    async def _serve(
        self,
        pool: Pool,
        lane: CriticalLane,
        url: str,
        stop: asyncio.Event,
        ready: asyncio.Event | None,
    ) -> None:
        settings = self.settings
        async with pool.connection() as conn:
            features = await detect(conn)
        upkeep = Upkeep(
            pool,
            features,
            days_ahead=settings.partition_days_ahead,
            retention_days=settings.event_retention_days,
        )
        await upkeep.start()
        reconciler = Reconciler(pool, self._steps)
        writer = self._writer = Writer(
            pool,
            max_rows=settings.batch_max_rows,
            max_ms=settings.batch_max_ms,
            max_dead_letters=settings.dead_letter_batch_max,
            writers=settings.ingest_writers,
            sinks=self._sinks,
            steps=self._steps,
            on_step_failure=reconciler.soon,
            lane=lane,
        )
        ingest = self._ingest = Ingest(settings.topic_root, self.registry, writer.batcher, pool)
        foreign = ForeignIngest(
            self._adapters,
            self._adapter_settings,
            registry=self.registry,
            batcher=writer.batcher,
            pool=pool,
            native=ingest.handle,
        )
        # Without adapters every message is native: no foreign lookup in front of an SOS.
        handle = foreign.handle if self._adapters else ingest.handle
        background = asyncio.Event()  # stops the registry and upkeep after the writers
        keeper = await self._claim_slot(url, handle, stop)
        if keeper is None and settings.gateway_slots:
            return  # stopped before a slot was free
        client_id = keeper.client_id if keeper else settings.mqtt_client_id
        session = self._session = MqttSession(
            settings,
            handle,
            clock=self._clock,
            client_id=client_id,
            filters=foreign.filters,
        )
        async with asyncio.TaskGroup() as group:
            if keeper is not None:
                # Holds the slot until the session is closed (after the writers).
                group.create_task(keeper.run(background), name="gateway-slots")
                group.create_task(_follow_slot(keeper, session, stop), name="gateway-slot-use")
            group.create_task(
                self.registry.run(url, background, reload_s=settings.registry_reload_s),
                name="gateway-registry",
            )
            group.create_task(upkeep.run(background), name="gateway-upkeep")
            group.create_task(ingest.misses.run(background), name="gateway-misses")
            group.create_task(reconciler.run(background), name="gateway-reconcile")
            health = HealthLoop(
                pool,
                client_id,
                self.ingest_state,
                battery=self._battery,
                storm=self._storm,
            )
            group.create_task(health.run(background), name="gateway-health")
            # Every alert change on {root}/alerts/{town}: one gateway at a time (a lease).
            publisher = AlertPublisher(pool, session, settings.topic_root)
            group.create_task(publisher.run(url, background), name="gateway-alert-mqtt")
            writing = group.create_task(writer.run(), name="gateway-writers")
            try:
                await first_of(self.registry.loaded.wait(), stop.wait())
                if not stop.is_set() and await session.connect(stop):
                    metrics.REGISTRY_DEVICES.set_function(lambda: len(self.registry))
                    await first_of(session.subscribed.wait(), stop.wait())
                    if ready is not None and session.subscribed.is_set():
                        ready.set()
                    log.info("gateway ready: %s devices registered", len(self.registry))
                    await stop.wait()
            finally:
                await self._shutdown(session, writer, writing)
                background.set()

    async def _claim_slot(
        self, url: str, handle: Handler, stop: asyncio.Event
    ) -> SlotKeeper | None:
        """With ``TANFANG_GATEWAY_SLOTS``: the keeper of the slot claimed (None when stopped
        first); without: None."""
        settings = self.settings
        if not settings.gateway_slots:
            return None
        if not settings.shared_group:
            raise ConfigError("TANFANG_GATEWAY_SLOTS needs TANFANG_SHARED_GROUP")

        async def drain(client_id: str) -> None:
            await drain_session(settings, client_id, handle, stop)

        keeper = self.slots = SlotKeeper(
            url, SlotNames(settings.mqtt_client_id, settings.gateway_slots), drain, stopping=stop
        )
        return keeper if await keeper.claim(stop) is not None else None

    async def _shutdown(
        self, session: MqttSession, writer: Writer, writing: asyncio.Task[None]
    ) -> None:
        writer.batcher.close()
        try:
            await asyncio.wait_for(asyncio.shield(writing), timeout=self.settings.shutdown_grace_s)
        except TimeoutError:
            log.warning("writers did not finish within the shutdown grace period")
        await session.drain(grace_s=2.0)
        await session.disconnect()
        log.info("gateway stopped")


async def _follow_slot(keeper: SlotKeeper, session: MqttSession, stop: asyncio.Event) -> None:
    """The slot's client id is used only while its lock is held: the session is suspended
    when the keeper loses the lock and resumed when it holds it again (two connections with
    one client id would take the session from each other)."""
    await first_of(session.subscribed.wait(), stop.wait())  # the first connect is _serve's
    while not stop.is_set():
        await first_of(keeper.lost.wait(), stop.wait())
        if stop.is_set():
            return
        await session.suspend()
        await first_of(keeper.holding.wait(), stop.wait())
        if stop.is_set() or not await session.resume(stop):
            return
        log.info("MQTT session %s resumed: its slot is held again", session.client_id)


def _tune_gc() -> None:
    """Up to ``receive_maximum`` messages wait for their commit at once, each with a task
    and a few objects: with the default thresholds the cyclic collector walks all of them
    every few hundred allocations and costs more than the ingest itself. The objects made
    at start (modules, registry) are frozen out of its sight; young collections run less
    often."""
    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, 50_000), max(gen1, 20), max(gen2, 100))


def _quiet_not_acknowledged(previous: Any) -> Any:
    """gmqtt reports a handler's exception through the loop's exception handler; a message
    left unacknowledged on purpose is not an error worth a traceback."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), NotAcknowledgedError):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    return handler
