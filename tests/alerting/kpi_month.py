"""A hand-built month of alerts (March 2026, Asia/Shanghai) whose response-time figures are
worked out by hand below: alerts, timeline ack rows and notifications inserted directly
with known times. Shared by the repo, API and command-line tests of the alerts report.

Times after opening, in seconds (C = critical, H = high, L = low; town 赤坎鎮 unless said):

| alert | opened (local) | first sent | first answer | resolved |
|---|---|---|---|---|
| C1 | 03-01 00:00:00 (the month's first instant) | 2 (see below) | ack 30 | 600 |
| C2 | 03-11 09:00 | 4 | ack 50 | 900 |
| C3 | 03-12 09:00 | 6 | ack 100, re-opened (acked_at cleared), ack 400 | 1200 |
| C4 | 03-13 09:00 | 8 (last resort) | resolved by a person at 170, no ack | 170 |
| C5 | 03-31 23:30 (last day, late evening: still March) | never (see below) | never | open |
| C6 (水口鎮) | 03-20 09:00 | 10 | ack 20 | 60 |
| H1 | 03-05 10:00 | 1 | ack 10 | 100 |
| H2 | 03-06 10:00 | 3 | ack 45 | 200 |
| H3 (no elder: a device's) | 03-07 10:00 | never | never (cleared by the system at 30) | 30 |
| L1…L39 (水口鎮) | 03-15 | never | ack 60 (the window is inclusive) | open |
| L40 (水口鎮) | 03-15 | never | ack 61 | open |

C1 also has a failed try and a reminder sent at 1 s (neither counts); C5 a pending and a
failed notification only.

Out of the month, fast and notified (must not count): a critical one at 02-28 23:59:59 and one at
04-01 00:00:00 local.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from store.db import Conn

TZ: Final = ZoneInfo("Asia/Shanghai")
MONTH: Final = "2026-03"
CHIKAN: Final = "赤坎鎮"
SHUIKOU: Final = "水口鎮"

# Every town, severity by severity; percentile_cont interpolates: the p90 of n sorted values
# is at position 0.9 × (n − 1).
EXPECTED_ALL: Final[dict[str, dict[str, Any]]] = {
    "critical": {
        "alerts": 6,
        "notified": 5,
        "never_notified": 1,
        "to_notify_median_s": 6.0,  # 2 4 6 8 10
        "to_notify_p90_s": 9.2,  # 8 + 0.6 × 2
        "acked": 5,
        "never_acked": 1,
        "to_ack_median_s": 50.0,  # 20 30 50 100 170
        "to_ack_p90_s": 142.0,  # 100 + 0.6 × 70
        "resolved": 5,
        "unresolved": 1,
        "to_resolve_median_s": 600.0,  # 60 170 600 900 1200
        "to_resolve_p90_s": 1080.0,  # 900 + 0.6 × 300
        "acked_within_60s": 3,
        "acked_within_60s_share": 0.5,
        "acked_within_180s": 5,
        "acked_within_180s_share": 0.8333,
        "target_60s_met": False,
        "target_180s_met": False,
        "strict_target_60s_met": False,
    },
    "high": {
        "alerts": 3,
        "notified": 2,
        "never_notified": 1,
        "to_notify_median_s": 2.0,
        "to_notify_p90_s": 2.8,
        "acked": 2,
        "never_acked": 1,  # H3: the system's clearing is no answer
        "to_ack_median_s": 27.5,
        "to_ack_p90_s": 41.5,
        "resolved": 3,
        "unresolved": 0,
        "to_resolve_median_s": 100.0,  # 30 100 200
        "to_resolve_p90_s": 180.0,
        "acked_within_60s": 2,
        "acked_within_60s_share": 0.6667,
        "acked_within_180s": 2,
        "acked_within_180s_share": 0.6667,
        "target_60s_met": False,
        "target_180s_met": False,
        "strict_target_60s_met": False,
    },
    "low": {
        "alerts": 40,
        "notified": 0,
        "never_notified": 40,
        "to_notify_median_s": None,
        "to_notify_p90_s": None,
        "acked": 40,
        "never_acked": 0,
        "to_ack_median_s": 60.0,
        "to_ack_p90_s": 60.0,
        "resolved": 0,
        "unresolved": 40,
        "to_resolve_median_s": None,
        "to_resolve_p90_s": None,
        "acked_within_60s": 39,
        "acked_within_60s_share": 0.975,
        "acked_within_180s": 40,
        "acked_within_180s_share": 1.0,
        "target_60s_met": True,  # 39 / 40 = 97.5 %, exactly the target
        "target_180s_met": True,
        "strict_target_60s_met": False,  # below 98.5 %
    },
    "all": {
        "alerts": 49,
        "notified": 7,
        "never_notified": 42,
        "to_notify_median_s": 4.0,  # 1 2 3 4 6 8 10
        "to_notify_p90_s": 8.8,  # 8 + 0.4 × 2
        "acked": 47,
        "never_acked": 2,
        "to_ack_median_s": 60.0,
        "to_ack_p90_s": 60.0,
        "resolved": 8,
        "unresolved": 41,
        "to_resolve_median_s": 185.0,  # 30 60 100 170 | 200 600 900 1200
        "to_resolve_p90_s": 990.0,  # 900 + 0.3 × 300
        "acked_within_60s": 44,
        "acked_within_60s_share": 0.898,  # 44 / 49
        "acked_within_180s": 47,
        "acked_within_180s_share": 0.9592,  # 47 / 49
        "target_60s_met": False,
        "target_180s_met": False,
        "strict_target_60s_met": False,
    },
}

# 赤坎鎮 only: C1–C5, H1, H2 (H3 has no elder, so no town).
EXPECTED_CHIKAN: Final[dict[str, dict[str, Any]]] = {
    "critical": {
        "alerts": 5,
        "never_notified": 1,
        "to_notify_median_s": 5.0,  # 2 4 6 8
        "to_notify_p90_s": 7.4,  # 6 + 0.7 × 2
        "to_ack_median_s": 75.0,  # 30 50 100 170
        "to_ack_p90_s": 149.0,  # 100 + 0.7 × 70
        "to_resolve_median_s": 750.0,  # 170 600 900 1200
        "to_resolve_p90_s": 1110.0,  # 900 + 0.7 × 300
        "acked_within_60s_share": 0.4,
        "acked_within_180s_share": 0.8,
        "target_60s_met": False,
    },
    "high": {
        "alerts": 2,
        "never_notified": 0,
        "acked_within_60s_share": 1.0,
        "acked_within_180s_share": 1.0,
        "target_60s_met": True,
        "target_180s_met": True,
        "strict_target_60s_met": True,
    },
    "low": {"alerts": 0, "to_ack_median_s": None, "acked_within_60s_share": None},
    "all": {"alerts": 7, "never_notified": 1, "acked_within_60s": 4},
}


def local(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=TZ)


class AlertWriter:
    """Writes alerts and their rows as the alerting code would have left them."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self.made = 0

    async def alert(self, severity: str, elder_id: str | None, opened: datetime) -> int:
        self.made += 1
        alert_type = {"critical": "sos", "high": "device_offline", "low": "battery_low"}[severity]
        cur = await self.conn.execute(
            "INSERT INTO alerts (type, severity, subject, elder_id, device_id, opened_at,"
            " last_seen_at, summary) VALUES (%s, %s, %s, %s, %s, %s, %s, 'test')"
            " RETURNING id",
            (alert_type, severity, f"test:{self.made}", elder_id, None, opened, opened),
        )
        row = await cur.fetchone()
        assert row is not None
        await self._timeline(int(row[0]), "opened", opened)
        return int(row[0])

    async def _timeline(self, alert_id: int, kind: str, at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO alert_timeline (alert_id, at, kind, actor) VALUES (%s, %s, %s, 'test')",
            (alert_id, at, kind),
        )

    async def _opened(self, alert_id: int) -> datetime:
        cur = await self.conn.execute("SELECT opened_at FROM alerts WHERE id = %s", (alert_id,))
        row = await cur.fetchone()
        assert row is not None
        opened: datetime = row[0]
        return opened

    async def notify(
        self, alert_id: int, after_s: float, *, purpose: str = "alert", status: str = "sent"
    ) -> None:
        at = await self._opened(alert_id) + timedelta(seconds=after_s)
        self.made += 1
        await self.conn.execute(
            "INSERT INTO notifications (alert_id, cycle, step, level, purpose, recipient_role,"
            " recipient_key, channel, status, attempts, created_at, next_attempt_at,"
            " give_up_at, sent_at) VALUES (%s, 0, 0, 0, %s, 'on_call', %s, 'webhook', %s, 1,"
            " %s, %s, %s, %s)",
            (
                alert_id,
                purpose,
                f"shift:{self.made}",
                status,
                at,
                at,
                at + timedelta(hours=1),
                at if status == "sent" else None,
            ),
        )

    async def ack(self, alert_id: int, after_s: float) -> None:
        at = await self._opened(alert_id) + timedelta(seconds=after_s)
        await self.conn.execute(
            "UPDATE alerts SET status = 'acked', acked_at = %s, acked_by = '李值班' WHERE id = %s",
            (at, alert_id),
        )
        await self._timeline(alert_id, "acked", at)

    async def reopen(self, alert_id: int, after_s: float) -> None:
        """Open again after an ack (a new critical signal, or the ack timed out)."""
        at = await self._opened(alert_id) + timedelta(seconds=after_s)
        await self.conn.execute(
            "UPDATE alerts SET status = 'open', acked_at = NULL, acked_by = NULL WHERE id = %s",
            (alert_id,),
        )
        await self._timeline(alert_id, "reopened", at)

    async def resolve(self, alert_id: int, after_s: float, *, by_system: bool = False) -> None:
        at = await self._opened(alert_id) + timedelta(seconds=after_s)
        await self.conn.execute(
            "UPDATE alerts SET status = 'resolved', resolved_at = %s, resolved_by = %s,"
            " outcome = 'handled_at_home' WHERE id = %s",
            (at, "system" if by_system else "李值班", alert_id),
        )
        await self._timeline(alert_id, "cleared" if by_system else "resolved", at)


async def add_elders(conn: Conn) -> None:
    for elder_id, town in (("KP-1", CHIKAN), ("KP-2", CHIKAN), ("KP-9", SHUIKOU)):
        await conn.execute(
            "INSERT INTO elders (id, name, town, birth_date, living_arrangement, created_at)"
            " VALUES (%s, '王小明', %s, '1940-01-01', 'alone', '2020-01-01T00:00Z')",
            (elder_id, town),
        )


async def answered(
    m: AlertWriter, severity: str, elder: str | None, opened: datetime, sent: float, ack: float
) -> int:
    alert_id = await m.alert(severity, elder, opened)
    await m.notify(alert_id, sent)
    await m.ack(alert_id, ack)
    return alert_id


async def build_month(conn: Conn) -> None:
    """The month of the table above (and the elders it needs)."""
    await add_elders(conn)
    m = AlertWriter(conn)
    c1 = await m.alert("critical", "KP-1", local(3, 1))
    await m.notify(c1, 1, status="failed")
    await m.notify(c1, 1, purpose="reminder")
    await m.notify(c1, 2)
    await m.ack(c1, 30)
    await m.resolve(c1, 600)
    c2 = await answered(m, "critical", "KP-1", local(3, 11, 9), 4, 50)
    await m.resolve(c2, 900)
    c3 = await answered(m, "critical", "KP-2", local(3, 12, 9), 6, 100)
    await m.reopen(c3, 300)
    await m.ack(c3, 400)
    await m.resolve(c3, 1200)
    c4 = await m.alert("critical", "KP-2", local(3, 13, 9))
    await m.notify(c4, 8, purpose="last_resort")
    await m.resolve(c4, 170)
    c5 = await m.alert("critical", "KP-1", local(3, 31, 23, 30))
    await m.notify(c5, 5, status="pending")
    await m.notify(c5, 6, status="failed")
    c6 = await answered(m, "critical", "KP-9", local(3, 20, 9), 10, 20)
    await m.resolve(c6, 60)
    h1 = await answered(m, "high", "KP-1", local(3, 5, 10), 1, 10)
    await m.resolve(h1, 100)
    h2 = await answered(m, "high", "KP-2", local(3, 6, 10), 3, 45)
    await m.resolve(h2, 200)
    h3 = await m.alert("high", None, local(3, 7, 10))
    await m.resolve(h3, 30, by_system=True)
    for n in range(40):
        low = await m.alert("low", "KP-9", local(3, 15, 8, n))
        await m.ack(low, 60 if n < 39 else 61)
    for opened in (local(2, 28, 23, 59, 59), local(4, 1)):
        outside = await answered(m, "critical", "KP-1", opened, 1, 5)
        await m.resolve(outside, 10)
