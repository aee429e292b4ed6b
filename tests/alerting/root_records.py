"""What reaches the process's own log handlers, for tests that nothing secret is logged."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def root_records() -> Iterator[list[logging.LogRecord]]:
    """What reaches a handler on the root logger at DEBUG, as ``tanfang --debug`` logs
    (pytest's own capture also hooks loggers that do not propagate: not a measure here)."""
    root = logging.getLogger()
    keep, level = _Keep(), root.level
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)
    try:
        yield keep.records
    finally:
        root.removeHandler(keep)
        root.setLevel(level)
