"""A channel that keeps what it was asked to send: the escalator's logic under test without
a transport (the webhook's own tests and the e2e tests use a real HTTP receiver)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from alerting.channels import Attempt, Notice


@dataclass
class RecordingChannel:
    name: str = "recording"
    sent: list[Notice] = field(default_factory=list)
    fail_next: int = 0  # answer this many attempts with a retryable failure first
    closed: bool = False

    async def send(self, notice: Notice) -> Attempt:
        if self.fail_next > 0:
            self.fail_next -= 1
            return Attempt(False, "500", 1, "HTTP 500")
        self.sent.append(notice)
        return Attempt(True, "200", 1)

    async def aclose(self) -> None:
        self.closed = True

    async def wait_for(self, count: int, timeout_s: float = 5.0) -> list[Notice]:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout_s
        while len(self.sent) < count:
            if loop.time() > end:
                raise AssertionError(f"{len(self.sent)} notices sent, expected {count}")
            await asyncio.sleep(0.005)
        return self.sent

    def to(self) -> list[tuple[str, str, str]]:
        """(purpose, recipient role, recipient key) of each notice, in order sent."""
        return [(n.purpose.value, n.recipient.role.value, n.recipient.key) for n in self.sent]
