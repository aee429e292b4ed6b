"""An injected clock that tests move by hand: logic takes ``now`` from it, never from the
machine, so that an hour of escalation runs in milliseconds."""

from __future__ import annotations

from datetime import datetime, timedelta


class ManualClock:
    def __init__(self, start: datetime) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> datetime:
        """Set the time to ``seconds`` after the start."""
        self.now = self.start + timedelta(seconds=seconds)
        return self.now
