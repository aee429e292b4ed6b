"""The alerting benchmark's arithmetic: what the webhook receiver got, matched against the
presses, the database's notification rows and the acks. Pure: no I/O."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bench._alert_fleet import StepPolicy

# Notifications that ask someone to act: none may be sent after the ack commits.
NEEDS_OPEN = frozenset({"alert", "reminder", "last_resort"})


class Arrival(Protocol):
    """A request as the webhook receiver kept it (``tests.rig.webhook_receiver.Received``)."""

    @property
    def body(self) -> dict[str, Any]: ...
    @property
    def at(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Post:
    """One webhook POST: what the body says and when it arrived (epoch seconds)."""

    notification_id: int
    alert_id: int
    device_id: str | None
    purpose: str
    role: str
    sent_at: float
    at: float


def posts_of(arrivals: Iterable[Arrival]) -> tuple[list[Post], int]:
    """The POSTs that carry a notification of the contract's shape, and how many did not."""
    posts, malformed = [], 0
    for arrival in arrivals:
        body = arrival.body
        try:
            posts.append(
                Post(
                    int(body["notification_id"]),
                    int(body["alert"]["id"]),
                    body["alert"].get("device_id"),
                    str(body["purpose"]),
                    str(body["recipient"]["role"]),
                    datetime.fromisoformat(body["sent_at"]).timestamp(),
                    arrival.at,
                )
            )
        except (KeyError, TypeError, ValueError):
            malformed += 1
    return posts, malformed


def sos_latencies_ms(presses: Mapping[str, float], posts: Iterable[Post]) -> list[float]:
    """Per press (button id → publish time), the first on-call POST of its alert: arrival −
    publish, in ms, ascending. A press without one has no entry."""
    first: dict[str, float] = {}
    for post in posts:
        device = post.device_id
        if (
            device is not None
            and device in presses
            and post.role == "on_call"
            and post.purpose == "alert"
        ):
            first[device] = min(first.get(device, post.at), post.at)
    return sorted((first[d] - presses[d]) * 1000 for d in first)


@dataclass(frozen=True, slots=True)
class Row:
    """A notification as the database holds it (``notifications``)."""

    id: int
    alert_id: int
    cycle: int
    step: int
    purpose: str
    recipient_key: str

    @property
    def key(self) -> tuple[int, int, int, str, str]:
        """What makes one step's notification to one person: sent once."""
        return (self.alert_id, self.cycle, self.step, self.purpose, self.recipient_key)


def lateness(
    posts: Iterable[Post],
    rows: Mapping[int, Row],
    opened: Mapping[int, float],
    policy: StepPolicy,
    group: Callable[[int, float], str],
) -> dict[str, list[float]]:
    """Arrival − due time (ms) of each step notification (its first arrival), where due is
    the alert's opening + the policy's offset of the step; ascending lists by
    ``group(alert_id, due)``, and all of them under ``"all"``."""
    seen: set[int] = set()
    groups: dict[str, list[float]] = {"all": []}
    for post in posts:
        row = rows.get(post.notification_id)
        if row is None or post.notification_id in seen or row.alert_id not in opened:
            continue
        if row.purpose != "alert" or row.cycle != 0:
            continue
        seen.add(post.notification_id)
        due = opened[row.alert_id] + policy.offset_s(row.step)
        late = (post.at - due) * 1000
        groups["all"].append(late)
        groups.setdefault(group(row.alert_id, due), []).append(late)
    for values in groups.values():
        values.sort()
    return groups


@dataclass(frozen=True, slots=True)
class Duplicates:
    same_id: int  # POSTs of a notification id received before
    by_key: int  # POSTs of a step and recipient received before (any id)
    unknown: int  # POSTs whose notification id the database does not hold


def duplicates(posts: Iterable[Post], rows: Mapping[int, Row]) -> Duplicates:
    ids: Counter[int] = Counter()
    keys: Counter[tuple[int, int, int, str, str]] = Counter()
    unknown = 0
    for post in posts:
        ids[post.notification_id] += 1
        row = rows.get(post.notification_id)
        if row is None:
            unknown += 1
        else:
            keys[row.key] += 1
    return Duplicates(sum(n - 1 for n in ids.values()), sum(n - 1 for n in keys.values()), unknown)


def missing_steps(
    posts: Iterable[Post],
    rows: Mapping[int, Row],
    opened: Mapping[int, float],
    policy: StepPolicy,
    due_before: Mapping[int, float],
) -> int:
    """Steps of cycle 0 due before ``due_before[alert]`` (its ack, or the end of the
    measurement, less a margin) that no POST delivered."""
    got = {
        (r.alert_id, r.step)
        for p in posts
        if (r := rows.get(p.notification_id)) is not None and r.cycle == 0 and r.purpose == "alert"
    }
    missing = 0
    for alert_id, at in opened.items():
        step = 0
        while at + policy.offset_s(step) < due_before.get(alert_id, at):
            missing += (alert_id, step) not in got
            step += 1
    return missing


def after_ack(posts: Iterable[Post], acked: Mapping[int, float]) -> list[Post]:
    """POSTs asking for an ack whose ``sent_at`` is after their alert's ack (epoch s)."""
    return [
        p
        for p in posts
        if p.purpose in NEEDS_OPEN and p.alert_id in acked and p.sent_at > acked[p.alert_id]
    ]
