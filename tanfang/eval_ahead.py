"""events.jsonl read on the second core: parsing the file is about a third of ``tanfang
evaluate``'s time (a month of 1 000 homes is 16 million lines), so a child process reads
and parses it (``eval_input.read_lines``) while the detectors run over the chunks already
read. The chunks arrive in file order, at most ``AHEAD`` of them waiting (each
``CHUNK_LINES`` events: a few MiB). A fault of the reader (a line that is not JSON) is
raised here as it would have been in one process; a reader that dies says so."""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Final

from gateway.detectors import EventBatch
from tanfang.eval_input import LeftOut, index_of, read_lines

AHEAD: Final = 4
# A chunk, a fault of the reader, or (the last) what it left out.
_Item = EventBatch | BaseException | LeftOut
# How often a wait for the next chunk looks whether the reader is still alive.
POLL_S: Final = 1.0


def read_events_ahead(
    path: Path, device_ids: Iterable[str], left_out: LeftOut
) -> Iterator[EventBatch]:
    """``eval_input.read_events`` of ``path``, read by a child process; the lines it left
    out are counted into ``left_out`` once the file is read."""
    context = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    chunks: multiprocessing.Queue[_Item] = context.Queue(AHEAD)
    reader = context.Process(
        target=_read, args=(path, list(device_ids), chunks), name="events-reader", daemon=True
    )
    reader.start()
    try:
        while True:
            try:
                item = chunks.get(timeout=POLL_S)
            except queue.Empty:
                if reader.is_alive():
                    continue
                try:  # what it wrote before it ended may have been on its way
                    item = chunks.get(timeout=POLL_S)
                except queue.Empty:
                    raise RuntimeError(
                        f"the events reader died (exit code {reader.exitcode})"
                    ) from None
            if isinstance(item, LeftOut):
                left_out.lines, left_out.first = item.lines, item.first
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if reader.is_alive():
            reader.kill()
        reader.join()
        chunks.close()


def _read(path: Path, device_ids: list[str], chunks: multiprocessing.Queue[_Item]) -> None:
    left_out = LeftOut()
    try:
        for batch in read_lines(path, index_of(device_ids), left_out):
            chunks.put(batch)
    except Exception as exc:  # every fault goes back to the evaluation
        chunks.put(exc)
        return
    chunks.put(left_out)  # the end of the file
