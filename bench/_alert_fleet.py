"""The alerting benchmark's people and devices: elders with a Ping An Tong button and two
emergency contacts each (written with COPY: setting up 25 000 homes through the API would
take longer than the benchmark), and through the API the on-call shift, the town's duty
contact and the escalation policies, as an operator would set them."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg

from bench import _db

ELDER_PREFIX = "alert-e"
# How long a setup call answered 503 (busy) is tried again.
BUSY_RETRY_S = 30.0
BUTTON_PREFIX = "alert-p"
TOWN = "赤坎鎮"
CONTACTS_PER_ELDER = 2


def elder_of(index: int) -> str:
    return f"{ELDER_PREFIX}{index:06d}"


def button_of(index: int) -> str:
    return f"{BUTTON_PREFIX}{index:06d}"


def register_homes(url: str, homes: int, background_devices: int) -> None:
    """``homes`` elders with an SOS button and two contacts; the background fleet of
    ``bench._workload`` (sensors only, never an alert)."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("COPY elders (id, name, town) FROM STDIN") as copy:
            for i in range(homes):
                copy.write_row((elder_of(i), "長者", TOWN))
        with cur.copy("COPY devices (id, type, elder_id, room) FROM STDIN") as copy:
            for i in range(homes):
                copy.write_row((button_of(i), "sos_button", elder_of(i), "bedroom"))
        with cur.copy(
            "COPY contacts (elder_id, name, phone, relation, priority, created_by) FROM STDIN"
        ) as copy:
            for i in range(homes):
                for c in range(CONTACTS_PER_ELDER):
                    copy.write_row(
                        (elder_of(i), "家屬", f"1380000{c:04d}", "child", c + 1, "bench")
                    )
    _db.register_fleet(url, background_devices)


@dataclass
class Homes:
    """Hands out homes whose button was never pressed: every press opens a new alert."""

    total: int
    taken: int = 0

    def take(self, count: int) -> list[int]:
        if self.taken + count > self.total:
            raise RuntimeError(f"the benchmark registered {self.total} homes; {count} more asked")
        first = self.taken
        self.taken += count
        return list(range(first, first + count))


@dataclass(frozen=True)
class StepPolicy:
    """A critical escalation policy: ``steps`` as (after_s, notify, count)."""

    steps: tuple[tuple[int, str, int], ...]
    repeat_after_s: int
    ack_timeout_s: int

    def body(self) -> dict[str, Any]:
        return {
            "steps": [
                {"after_s": a, "notify": n, **({"count": c} if n == "contacts" else {})}
                for a, n, c in self.steps
            ],
            "repeat_after_s": self.repeat_after_s,
            "ack_timeout_s": self.ack_timeout_s,
        }

    def offset_s(self, index: int) -> float:
        """When the ``index``-th step of a cycle is due, from the alert's opening (contract
        §2: after the last step, that step repeats every ``repeat_after_s``)."""
        last = len(self.steps) - 1
        if index <= last:
            return float(self.steps[index][0])
        return float(self.steps[last][0] + (index - last) * self.repeat_after_s)


# While the SOS latency is measured, only the first step (the on-call) may run: the later
# steps are an hour away, so the open alerts wait quietly and every POST is a first one.
QUIET = StepPolicy(((0, "on_call", 1), (3600, "contacts", 1)), 3600, 7200)
# While 10 000 presses are counted, no step runs for an hour: the count is of the gateway's
# alerts (each opened in the transaction that stores its press), not of the escalator's
# throughput; the alerts stay open, quiet, for the phases after.
DEFERRED = StepPolicy(((3600, "on_call", 1),), 3600, 7200)
# The short steps: on-call at once, a contact after 2 s, the next after 4 s, then
# the last step again every 3 s until someone acks.
SHORT = StepPolicy(((0, "on_call", 1), (2, "contacts", 1), (4, "contacts", 1)), 3, 3600)


async def put_policy(api: httpx.AsyncClient, policy: StepPolicy) -> None:
    """PUT the critical policy; a 503 (the API's pool busy under the benchmark's load) is
    tried again for up to ``BUSY_RETRY_S``."""
    end = time.monotonic() + BUSY_RETRY_S
    while True:
        answer = await api.put("/api/v1/escalation-policies/critical", json=policy.body())
        if answer.status_code != 503 or time.monotonic() > end:
            break
        await asyncio.sleep(0.5)  # the API asked to try again shortly
    if answer.status_code != 200:
        raise RuntimeError(f"PUT escalation policy: {answer.status_code} {answer.text}")


async def staff_on_duty(api: httpx.AsyncClient) -> None:
    """One on-call shift for every town, from an hour ago to tomorrow; the town's duty
    contact."""
    now = datetime.now(UTC)
    shift = {
        "name": "值班員",
        "phone": "13900000000",
        "towns": None,
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=1)).isoformat(),
    }
    answer = await api.post("/api/v1/on-call", json=shift)
    if answer.status_code not in (200, 201):
        raise RuntimeError(f"POST /on-call: {answer.status_code} {answer.text}")
    duty = {"duty_name": "鎮值班", "duty_phone": "0750-0000000"}
    answer = await api.put(f"/api/v1/towns/{TOWN}", json=duty)
    if answer.status_code != 200:
        raise RuntimeError(f"PUT /towns: {answer.status_code} {answer.text}")
