"""Prometheus metrics of escalation and notifications."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Histogram

STEP_LATENESS: Final = Histogram(
    "tanfang_escalation_step_lateness_seconds",
    "How long after its due time an escalation step ran",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
STEPS_LATE: Final = Counter(
    "tanfang_escalation_steps_late_total",
    "Escalation steps that ran more than 10 s after their due time",
)
NOTIFICATIONS: Final = Counter(
    "tanfang_notifications_total",
    "Notification attempts by channel and outcome (sent, retry, failed, cancelled)",
    ["channel", "outcome"],
)
NOTIFY_SECONDS: Final = Histogram(
    "tanfang_notification_attempt_seconds",
    "How long one notification attempt took",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5),
)
