"""What the alerting end-to-end tests run against: real ``tanfang`` processes (started as
``python -m tanfang serve|gateway|api``) on the test's database and topic root, delivering
to a real local webhook receiver, and the people to notify (set through the API as an
admin would)."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import orjson
import psycopg

from devices.schema import events_topic
from tests.gateway.helpers import Publisher, fetch
from tests.rig.ports import free_port
from tests.rig.services import Services
from tests.rig.tanfang_process import TanfangProcess, api_ready, settings_for
from tests.rig.webhook_receiver import Received, WebhookReceiver

T = TypeVar("T")

TOWN = "赤坎鎮"
# A town where nobody is on duty and no duty contact is set.
NOBODYS_TOWN = "月山鎮"
# The short policy of these tests: on-call at once, a contact after 2 s, the next after
# 4 s, the town's duty contact after 6 s, then the town again every 3 s; an ack not
# followed by a resolution opens the alert again after 5 s.
SHORT_POLICY: dict[str, Any] = {
    "steps": [
        {"after_s": 0, "notify": "on_call"},
        {"after_s": 2, "notify": "contacts", "count": 1},
        {"after_s": 4, "notify": "contacts", "count": 1},
        {"after_s": 6, "notify": "town"},
    ],
    "repeat_after_s": 3,
    "ack_timeout_s": 5,
}
STEP_AFTER_S = (0, 2, 4, 6)
DEADLINE_S = 20.0


async def until(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    deadline_s: float = DEADLINE_S,
    what: str = "condition",
) -> T:
    """``probe()`` until ``done`` holds of its answer; AssertionError after the deadline."""
    end = time.monotonic() + deadline_s
    while True:
        found = await probe()
        if done(found):
            return found
        if time.monotonic() > end:
            raise AssertionError(f"{what} not reached within {deadline_s} s; last: {found!r}")
        await asyncio.sleep(0.05)  # polling interval; the deadline bounds it


@dataclass
class AlertRig:
    """One database, broker topic root and webhook receiver, shared by a module's tests
    (each with homes of its own), and the ``tanfang`` processes running on them."""

    database_url: str
    mqtt_url: str
    topic_root: str
    admin_token: str
    workdir: Path
    rx: WebhookReceiver
    publisher: Publisher
    secret: str = field(default_factory=lambda: secrets.token_hex(16))
    port: int = field(default_factory=free_port)
    processes: list[TanfangProcess] = field(default_factory=list)
    serving: TanfangProcess | None = None
    seq: int = 0
    homes: int = 0

    @property
    def base(self) -> str:
        """The API of the ``serve`` process."""
        return f"http://127.0.0.1:{self.port}"

    def spawn(
        self, command: str, *, port: int | None = None, extra: dict[str, str] | None = None
    ) -> TanfangProcess:
        """A ``tanfang <command>`` process on this rig (not waited for), with ``extra``
        settings besides the rig's."""
        settings = settings_for(
            database_url=self.database_url,
            mqtt_url=self.mqtt_url,
            topic_root=self.topic_root,
            admin_token=self.admin_token,
            api_port=port or free_port(),
            client_id=f"tanfang-e2e-{uuid.uuid4().hex[:8]}",
            extra={
                "TANFANG_WEBHOOK_URL": self.rx.url,
                "TANFANG_WEBHOOK_SECRET": self.secret,
                **(extra or {}),
            },
        )
        log = self.workdir / f"{command}-{len(self.processes)}.log"
        process = TanfangProcess(command, settings, log).start()
        self.processes.append(process)
        return process

    async def serve(self, extra: dict[str, str] | None = None) -> TanfangProcess:
        """``tanfang serve`` on ``port``, ready (subscribed)."""
        self.serving = self.spawn("serve", port=self.port, extra=extra)
        await asyncio.to_thread(self.serving.wait_until, api_ready(self.base, gateway=True))
        return self.serving

    async def stop_all(self) -> None:
        for process in self.processes:
            await asyncio.to_thread(process.stop, 10)

    async def new_home(self, *, town: str = TOWN, contacts: int = 2) -> str:
        """A home of the calling test's own; its button's device id."""
        self.homes += 1
        device = f"pat-{self.homes}"
        await register_home(
            self.database_url, f"KP-{self.homes}", device, town=town, contacts=contacts
        )
        return device

    def press(self, device: str) -> None:
        """One SOS press of ``device``'s button, through the broker (QoS 1, acknowledged)."""
        self.seq += 1
        body = orjson.dumps({"kind": "sos", "seq": self.seq, "ts": time.time()})
        self.publisher.publish(events_topic(self.topic_root, device), body)

    async def posts(
        self, n: int, where: Callable[[Received], bool], *, deadline_s: float = 15
    ) -> list[Received]:
        """The webhook requests matching ``where``, once there are at least ``n``."""

        async def matching() -> list[Received]:
            return [r for r in self.rx.requests if where(r)]

        return await until(
            matching, lambda found: len(found) >= n, deadline_s=deadline_s, what=f"{n} POSTs"
        )

    async def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        return await fetch(self.database_url, query, params)


def of_device(device: str) -> Callable[[Received], bool]:
    """The POSTs of the alert of ``device``'s button (of any purpose)."""
    return lambda r: r.body.get("alert", {}).get("device_id") == device


def of_alert(alert_id: str) -> Callable[[Received], bool]:
    return lambda r: r.body.get("alert", {}).get("id") == alert_id


async def register_home(
    url: str,
    elder_id: str = "KP-1",
    device_id: str = "pat-1",
    *,
    town: str = TOWN,
    contacts: int = 2,
) -> None:
    """An elder living alone with an SOS button and ``contacts`` children to call, in the
    emergency order 聯絡人1, 聯絡人2, …"""
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "INSERT INTO elders (id, name, town) VALUES (%s, '王小明', %s)", (elder_id, town)
        )
        await conn.execute(
            "INSERT INTO devices (id, type, elder_id, room) VALUES (%s, 'sos_button', %s,"
            " 'bedroom')",
            (device_id, elder_id),
        )
        for i in range(contacts):
            await conn.execute(
                "INSERT INTO contacts (elder_id, name, phone, relation, priority, created_by)"
                " VALUES (%s, %s, %s, 'child', %s, 'test')",
                (elder_id, f"聯絡人{i + 1}", f"1380000000{i}", i + 1),
            )


async def staff(api: httpx.AsyncClient, policy: dict[str, Any] = SHORT_POLICY) -> None:
    """Through the API: the short critical policy, one on-call shift for ``TOWN`` (not for
    ``NOBODYS_TOWN``), and ``TOWN``'s duty contact."""
    answer = await api.put("/api/v1/escalation-policies/critical", json=policy)
    assert answer.status_code == 200, answer.text
    await on_call(api, [TOWN])
    duty = {"duty_name": "鎮值班", "duty_phone": "0750-0000000"}
    answer = await api.put(f"/api/v1/towns/{TOWN}", json=duty)
    assert answer.status_code == 200, answer.text


async def on_call(api: httpx.AsyncClient, towns: list[str] | None) -> None:
    """One on-call shift for ``towns`` (None: every town), from an hour ago to tomorrow."""
    now = datetime.now(UTC)
    shift = {
        "name": "值班員",
        "phone": "13900000000",
        "towns": towns,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    answer = await api.post("/api/v1/on-call", json=shift)
    assert answer.status_code == 201, answer.text


@dataclass(frozen=True, slots=True)
class Sent:
    """A notification row of the database, for counting steps."""

    id: int
    cycle: int
    step: int
    purpose: str
    recipient_key: str
    status: str


async def notifications(rig: AlertRig, alert_id: str) -> list[Sent]:
    rows = await rig.sql(
        "SELECT id, cycle, step, purpose, recipient_key, status FROM notifications"
        " WHERE alert_id = %s ORDER BY id",
        int(alert_id),
    )
    return [Sent(*row) for row in rows]


@asynccontextmanager
async def staffed_rig(
    services: Services, migrated_template: str, workdir: Path
) -> AsyncIterator[AlertRig]:
    """A rig on a database of its own with ``tanfang serve`` running and ``staff`` set:
    a process takes seconds to start, so a module's tests share one, each with homes of its
    own. Everything is stopped and dropped at the end."""
    database_url = services.create_database(template=migrated_template)
    publisher = Publisher(services.mqtt_url)
    publisher.connect()
    try:
        async with WebhookReceiver() as rx:
            found = AlertRig(
                database_url,
                services.mqtt_url,
                f"test/{uuid.uuid4().hex[:12]}/v1",
                secrets.token_urlsafe(24),
                workdir,
                rx,
                publisher,
            )
            try:
                await found.serve()
                headers = {"Authorization": f"Bearer {found.admin_token}"}
                async with httpx.AsyncClient(
                    base_url=found.base, headers=headers, timeout=10
                ) as api:
                    await staff(api)
                yield found
            finally:
                rx.release()
                await found.stop_all()
    finally:
        publisher.close()
        services.drop_database(database_url)
