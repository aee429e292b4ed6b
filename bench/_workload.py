"""The benchmark's fleet and its events: wire-contract payloads of about 110 bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from bench._mqtt import Message

DEVICE_PREFIX = "bench-d"
PROBE_DEVICE = "bench-probe"
DEVICES_PER_ELDER = 4
_CST = timezone(timedelta(hours=8))

# (device type, kind, value as written on the wire). No critical kind (sos, fall, smoke,
# gas): those skip the batch by design, and this measures the batched path.
_PROFILES: tuple[tuple[str, str, str], ...] = (
    ("motion_sensor", "motion", "1"),
    ("door_sensor", "door", "0"),
    ("env_sensor", "temperature", "23.5"),
    ("power_meter", "power", "118.25"),
    ("bed_sensor", "bed", "1"),
    ("water_meter", "water", "1.75"),
    ("wearable", "heart_rate", "72"),
)


def device_id(index: int) -> str:
    return f"{DEVICE_PREFIX}{index:05d}"


def elder_id(index: int) -> str:
    return f"bench-e{index // DEVICES_PER_ELDER:05d}"


def device_type(index: int) -> str:
    return _PROFILES[index % len(_PROFILES)][0]


@dataclass(frozen=True, slots=True)
class Workload:
    """``events`` events spread round-robin over ``devices`` devices under ``root``."""

    root: str
    devices: int

    def topic(self, index: int) -> bytes:
        return f"{self.root}/dev/{device_id(index)}/events".encode()

    def payload(self, index: int, seq: int, ts: datetime, pub: float | None = None) -> bytes:
        _, kind, value = _PROFILES[index % len(_PROFILES)]
        stamp = ts.astimezone(_CST).isoformat(timespec="milliseconds")
        battery = 20 + index % 80
        rssi = -40 - index % 50
        body = (
            f'{{"ts":"{stamp}","seq":{seq},"kind":"{kind}","value":{value},'
            f'"battery":{battery},"rssi":{rssi}'
        )
        if pub is not None:
            # Kept by the gateway in the row's `extra`: the lag phase reads it back.
            body += f',"pub":{pub:.6f}'
        return (body + "}").encode()

    def burst(self, count: int, first_seq: int, start: datetime) -> list[Message]:
        """``count`` events, device by device in turn; seq continues per device."""
        messages = []
        for i in range(count):
            index = i % self.devices
            seq = first_seq + i // self.devices
            ts = start + timedelta(milliseconds=seq)
            messages.append((self.topic(index), self.payload(index, seq, ts)))
        return messages

    def paced(self, i: int, now: float, first_seq: int) -> Message:
        """Event ``i`` of the lag phase, stamped with its publish time ``now``."""
        index = i % self.devices
        seq = first_seq + i // self.devices
        ts = datetime.fromtimestamp(now, UTC)
        return self.topic(index), self.payload(index, seq, ts, pub=now)
