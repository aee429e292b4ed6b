"""Whether ingest is making progress: the truth behind ``/healthz``.

The broker can be connected and the database reachable while nothing moves: a batch stuck
in its transaction, a handler that lost its messages. Then messages wait and none completes,
and only that says so. ``Progress`` is told when a wait begins (the first message in flight)
and whenever a message completes (acknowledged or released); the gateway is stalled when
messages are in flight and none has completed for ``STALL_AFTER_S``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

# A healthy gateway completes a batch every TANFANG_BATCH_MAX_MS (50 ms) and a failing
# commit is retried at most every 5 s; half a minute without one completion while messages
# wait is no hiccup. Short enough that an SOS held that long is noticed by monitoring.
STALL_AFTER_S: Final = 30.0


class Progress:
    """When the last message completed, on an injectable monotonic clock."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = clock()

    def moved(self) -> None:
        """A message completed, or the first of a new wait arrived."""
        self._last = self._clock()

    def state(self, inflight: int) -> dict[str, object]:
        """``stalled``, and for how long nothing has completed while messages waited."""
        if inflight <= 0:
            return {"stalled": False, "waiting_s": 0.0}
        waiting = max(0.0, self._clock() - self._last)
        return {"stalled": waiting >= STALL_AFTER_S, "waiting_s": round(waiting, 3)}
