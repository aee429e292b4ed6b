"""Kaiping weather as the homes feel it: a humid subtropical year with summer heat and
winter cold snaps, the same sky for every home, each house a little warmer or cooler."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from simulators.clock import DAY, TZ_OFFSET_S, local_date

# Monthly mean air temperature (°C) and relative humidity (%) of the Pearl River Delta.
MEAN_C: Final = (13.6, 14.6, 17.6, 21.7, 25.4, 27.4, 28.6, 28.3, 27.2, 24.3, 19.9, 15.5)
MEAN_RH: Final = (70, 78, 82, 84, 84, 84, 82, 82, 78, 70, 66, 64)


@dataclass(slots=True)
class Weather:
    rng: random.Random
    anomaly: float = 0.0
    snap_days: int = 0

    def next_day(self, start: float) -> float:
        """Today's regional temperature anomaly (°C): a drifting offset plus cold snaps."""
        month = local_date(start).month
        self.anomaly = 0.7 * self.anomaly + self.rng.gauss(0.0, 1.0)
        if month in (12, 1, 2) and self.snap_days == 0 and self.rng.random() < 0.06:
            self.snap_days = self.rng.randint(3, 6)
        snap = -6.0 if self.snap_days > 0 else 0.0
        self.snap_days = max(0, self.snap_days - 1)
        return self.anomaly + snap


def indoor(
    t: npt.NDArray[np.float64],
    start: float,
    anomaly: float,
    offset: npt.NDArray[np.float64],
    noise: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Indoor temperature and humidity at times ``t`` of the plan day beginning ``start``."""
    month = local_date(start).month
    hour = ((t + TZ_OFFSET_S) % DAY) / 3600.0
    # The house lags the air outside by about two hours and swings half as much.
    daily = np.cos((hour - 16.5) / 24.0 * 2 * np.pi)
    base = MEAN_C[month - 1] + anomaly * 0.7 + (1.5 if month in (12, 1, 2) else 0.0)
    temp = np.maximum(base + 1.8 * daily + offset + noise * 0.3, 9.0)
    humid = MEAN_RH[month - 1] - 6.0 * daily + noise * 2.0 - anomaly
    temp_out: npt.NDArray[np.float64] = np.round(temp, 1).astype(np.float64)
    humid_out: npt.NDArray[np.float64] = np.round(np.clip(humid, 30.0, 98.0)).astype(np.float64)
    return temp_out, humid_out
