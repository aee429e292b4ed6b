"""Alerts as ``open_alert`` keeps them, for ``tanfang evaluate``: one active alert per elder
and type; a finding while one is active refreshes it; it stays active until its condition
clears (a detector's finding is gone; an emergency's clear, cancel, or an hour without a
new event — the stand-in for staff resolving it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from gateway.detectors import Findings, codes, describe
from gateway.detectors.device_ids import DeviceIds
from gateway.detectors.findings import devices
from gateway.detectors.localtime import WEEKEND, day_type
from tanfang.eval_score import Alert

TYPES: Final = (*codes.ALERT_TYPES, "sos", "fall", "smoke", "gas")
TYPE: Final = {t: i for i, t in enumerate(TYPES)}
DETECTED: Final = len(codes.ALERT_TYPES)
EMERGENCY_HOLD_S: Final = 3600.0

Floats = npt.NDArray[np.float64]


@dataclass(slots=True)
class AlertBook:
    elder_ids: tuple[str, ...]
    opened: list[Alert] = field(default_factory=list)
    offset_s: float = 8 * 3600.0
    # a finding about one device names it (a stuck sensor)
    device_ids: DeviceIds = field(default_factory=lambda: DeviceIds(()))
    active: npt.NDArray[np.bool_] = field(init=False)
    last_signal: Floats = field(init=False)
    opened_at: Floats = field(init=False)  # when each detector alert opened

    def __post_init__(self) -> None:
        n = len(self.elder_ids)
        self.active = np.zeros((n, len(TYPES)), dtype=bool)
        self.last_signal = np.full((n, len(TYPES)), np.nan)
        self.opened_at = np.full((n, DETECTED), np.nan)

    def findings(self, found: Findings, cleared: npt.NDArray[np.bool_], now: float) -> list[int]:
        """Open the detectors' alerts of new findings, clear those whose condition cleared
        (``cleared[slot, type]``, ``gateway.detectors.sweep.cleared``); the rows of
        ``found`` that opened an alert."""
        held = self.active[:, :DETECTED]
        held &= ~cleared
        new_rows = (~held[found.slot, found.kind]).nonzero()[0]
        device = devices(found)
        for row in new_rows:
            s, k = int(found.slot[row]), int(found.kind[row])
            held[s, k] = True
            self.opened_at[s, k] = now
            zh, en = describe(
                k,
                int(found.reason[row]),
                float(found.since[row]),
                float(found.usual_s[row]),
                now,
                self.offset_s,
                weekend=day_type(now, self.offset_s) == WEEKEND,
                value=float(found.usual_s[row]),
                limit=float(found.limit_s[row]),
            )
            d = int(device[row])
            named = self.device_ids.name(d) if 0 <= d < len(self.device_ids) else None
            self.opened.append(
                Alert(self.elder_ids[s], TYPES[k], now, named, summary=en, summary_zh=zh)
            )
        return [int(r) for r in new_rows]

    def emergency(self, slot: int, kind: str, at: float, *, clear: bool = False) -> None:
        k = TYPE[kind]
        if clear:
            self.active[slot, k] = False
            return
        if self.active[slot, k] and at - self.last_signal[slot, k] < EMERGENCY_HOLD_S:
            self.last_signal[slot, k] = at
            return
        self.active[slot, k] = True
        self.last_signal[slot, k] = at
        self.opened.append(Alert(self.elder_ids[slot], kind, at))
