"""Rows → the wire: event payloads of the contract (§1) and events.jsonl lines (§4).

Formatting is the hot path of file output (millions of rows): timestamps are assembled as
bytes with numpy, the rest from small tables of pre-built fragments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import orjson

from simulators import codes
from simulators.generator import Chunk
from simulators.world import World

_KIND_PART: Final = [f',"kind":"{name}"' for name in codes.KIND_NAMES]
_BATTERY_PART: Final = [""] + [f',"battery":{level}' for level in range(101)]
_NO_VALUE: Final = frozenset({codes.SOS, codes.CANCEL, codes.CHECKIN, codes.HEARTBEAT})
_OFFSET: Final = np.frombuffer(b"+08:00", np.uint8)


@dataclass(slots=True)
class Rendered:
    """Rows ``[i, j)`` of a chunk as (device index, code, payload text)."""

    dev: list[int]
    code: list[int]
    payload: list[str]


class Wire:
    def __init__(self, world: World) -> None:
        self.ids = world.device_ids()
        self.seq = np.zeros(len(self.ids), dtype=np.int64)
        self._prefix = [f'{{"device_id":"{d}","event":{{"ts":"' for d in self.ids]
        self._kv: dict[float, str] = {}

    def render(self, chunk: Chunk, i: int = 0, j: int | None = None) -> Rendered:
        """Payloads of rows ``[i, j)``, numbering each device's events on from the last."""
        dev, code, stamps, seq, kvs, bat = self._columns(chunk, i, j)
        payloads = [
            f'{{"ts":"{ts}","seq":{s}{kv}{_BATTERY_PART[b]}}}'
            for ts, s, kv, b in zip(stamps, seq, kvs, bat, strict=True)
        ]
        self._specials(chunk, i, code, payloads, as_line=False)
        return Rendered(dev, code, payloads)

    def text(self, chunk: Chunk, i: int = 0, j: int | None = None) -> str:
        """events.jsonl lines of rows ``[i, j)`` (the same numbering as ``render``)."""
        dev, code, stamps, seq, kvs, bat = self._columns(chunk, i, j)
        prefix = self._prefix
        lines = [
            f'{prefix[d]}{ts}","seq":{s}{kv}{_BATTERY_PART[b]}}}}}\n'
            for d, ts, s, kv, b in zip(dev, stamps, seq, kvs, bat, strict=True)
        ]
        self._specials(chunk, i, code, lines, as_line=True)
        return "".join(lines)

    def line(self, device: int, code: int, payload: str) -> str:
        """The events.jsonl line of one rendered message."""
        if code < codes.ONLINE:
            return f'{{"device_id":"{self.ids[device]}","event":{payload}}}\n'
        return self._special_line(device, payload, code)

    def _special_line(self, device: int, text: str, code: int = codes.RAW) -> str:
        if code == codes.RAW:
            return f'{{"device_id":"{self.ids[device]}","raw":{orjson.dumps(text).decode()}}}\n'
        return f'{{"device_id":"{self.ids[device]}","status":"{text}"}}\n'

    def _specials(
        self, chunk: Chunk, i: int, code: list[int], out: list[str], *, as_line: bool
    ) -> None:
        """Status and raw rows are rare: patch them in after the bulk formatting."""
        rows = np.flatnonzero(chunk.code[i : i + len(code)] >= codes.ONLINE).tolist()
        for k in rows:
            c = code[k]
            device = int(chunk.dev[i + k])
            if c == codes.RAW:
                text = chunk.side[int(chunk.aux[i + k])]
            else:
                text = "online" if c == codes.ONLINE else "offline"
            out[k] = self._special_line(device, text, c) if as_line else text

    def _columns(
        self, chunk: Chunk, i: int, j: int | None
    ) -> tuple[list[int], list[int], list[str], list[int], list[str], list[int]]:
        j = len(chunk) if j is None else j
        dev, code = chunk.dev[i:j], chunk.code[i:j]
        is_event = code < codes.ONLINE
        seq = np.zeros(j - i, dtype=np.int64)
        seq[is_event] = self._number(dev[is_event])
        value = chunk.value[i:j]
        keys = (code.astype(np.float64) * 1e6 + np.nan_to_num(value, nan=-1.0)).tolist()
        get, make = self._kv.get, self._make_kv
        code_list = code.tolist()
        kvs = [
            get(k) or make(k, c, v) for k, c, v in zip(keys, code_list, value.tolist(), strict=True)
        ]
        stamps = timestamps(chunk.t[i:j] + chunk.shift[i:j])
        battery = (chunk.battery[i:j] + 1).tolist()
        return dev.tolist(), code_list, stamps, seq.tolist(), kvs, battery

    def _number(self, dev: npt.NDArray[np.int32]) -> npt.NDArray[np.int64]:
        order = np.argsort(dev, kind="stable")
        ordered = dev[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        lengths = np.diff(np.r_[starts, ordered.size])
        rank = np.arange(ordered.size) - np.repeat(starts, lengths)
        seq = np.empty(dev.size, dtype=np.int64)
        seq[order] = self.seq[ordered] + rank + 1
        np.add.at(self.seq, dev, 1)
        return seq

    def _make_kv(self, key: float, code: int, value: float) -> str:
        """``,"kind":"…"`` and ``,"value":…`` of one (kind, value) pair, remembered."""
        if code >= codes.ONLINE:
            return ""
        text = _KIND_PART[code]
        if code not in _NO_VALUE and not math.isnan(value):
            shown = int(value) if value == int(value) else round(value, 3)
            text += f',"value":{shown}'
        if len(self._kv) < 200_000:
            self._kv[key] = text
        return text


def timestamps(t: npt.NDArray[np.float64]) -> list[str]:
    """Epoch seconds → ``YYYY-MM-DDTHH:MM:SS.mmm+08:00`` strings, built as bytes in bulk."""
    n = t.size
    if n == 0:
        return []
    local = np.round((t + 8 * 3600) * 1000).astype(np.int64)
    day, ms = np.divmod(local, 86_400_000)
    days, inverse = np.unique(day, return_inverse=True)
    dates = np.datetime_as_string((days * 86400).astype("datetime64[s]"), unit="D")
    date_bytes = np.frombuffer("".join(dates.tolist()).encode(), np.uint8).reshape(-1, 10)
    out = np.empty((n, 29), np.uint8)
    out[:, :10] = date_bytes[inverse]
    out[:, 10] = ord("T")
    out[:, 13] = out[:, 16] = ord(":")
    out[:, 19] = ord(".")
    out[:, 23:] = _OFFSET
    hour, minute, second, milli = ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60, ms % 1000
    for column, part, div in (
        (11, hour, 10),
        (12, hour, 1),
        (14, minute, 10),
        (15, minute, 1),
        (17, second, 10),
        (18, second, 1),
        (20, milli, 100),
        (21, milli, 10),
        (22, milli, 1),
    ):
        out[:, column] = 48 + part // div % 10
    result: list[str] = out.view("S29").ravel().astype("U29").tolist()
    return result
