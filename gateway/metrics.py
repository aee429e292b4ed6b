"""Prometheus metrics of ingest, in the default registry (the API serves them at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from gateway.bulk_histogram import BulkHistogram

EVENTS_RECEIVED = Counter(
    "tanfang_events_received", "Events decoded from MQTT messages (before storing)"
)
EVENTS_STORED = Counter("tanfang_events_stored", "Events committed to the events table")
EVENTS_DUPLICATE = Counter(
    "tanfang_events_duplicate",
    "Events already stored (a redelivery or a repeat of the same device, ts and seq)",
)
EVENTS_REFUSED = Counter(
    "tanfang_events_refused", "Messages or items refused as dead letters, by reason", ["reason"]
)
UNEXPECTED_CRITICAL = Counter(
    "tanfang_unexpected_critical",
    "Critical events (sos, fall, smoke, gas) stored from a device type that does not send"
    " their kind: a person must check the device's registration",
    ["kind", "type"],
)
DEAD_LETTERS_DROPPED = Counter(
    "tanfang_dead_letters_dropped",
    "Dead letters not stored because a flood of bad input exceeded the per-batch cap",
)
BATCH_ROWS = Histogram(
    "tanfang_batch_rows",
    "Events per committed batch",
    buckets=(1, 5, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000),
)
# Observed a batch at a time (one value per message or event): see gateway/bulk_histogram.py.
INGEST_LAG = BulkHistogram(
    "tanfang_ingest_lag_seconds",
    "Commit time minus the time the gateway received the message",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
DEVICE_LAG = BulkHistogram(
    "tanfang_ingest_device_lag_seconds",
    "Commit time minus the event's device timestamp",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600),
)
BATCH_FAILURES = Counter(
    "tanfang_batch_failures", "Batch commits that failed and were retried", ["error"]
)
MQTT_CONNECTED = Gauge("tanfang_mqtt_connected", "1 while the gateway's MQTT session is up")
REGISTRY_DEVICES = Gauge("tanfang_registry_devices", "Devices in the gateway's registry")
REGISTRY_LOOKUPS = Counter(
    "tanfang_registry_lookups",
    "Device ids missing from the registry looked up in the database, by result",
    ["result"],
)
REGISTRY_LOOKUP_FAILURES = Counter(
    "tanfang_registry_lookup_failures",
    "Database lookups of missing device ids that failed and were retried",
)
STEP_FAILURES = Counter(
    "tanfang_step_failures",
    "In-transaction steps that raised: their batch was stored without them",
    ["step"],
)
STEP_RECONCILED = Counter(
    "tanfang_step_reconciled",
    "Records that a step's reconcile made for events the step had missed",
    ["step"],
)
HANDLER_FAILURES = Counter(
    "tanfang_handler_failures",
    "Messages whose handling raised unexpectedly (kept as internal_error dead letters)",
)
CRITICAL_UNREGISTERED = Counter(
    "tanfang_critical_unregistered",
    "Critical events (sos, fall, smoke, gas) from unregistered devices: stored nowhere",
)
HEALTH_DEGRADED = Gauge(
    "tanfang_health_degraded",
    "1 while this gateway's ingest does not work (broker session down or not subscribed,"
    " commits failing, ingest stalled): /healthz says degraded",
)
GATEWAY_HEARTBEAT_AGE = Gauge(
    "tanfang_gateway_heartbeat_age_seconds",
    "Seconds since any gateway last ingested (the freshest ingesting heartbeat row), as this"
    " gateway's health sweep last read it; over 60 the gateway_outage alert is open",
)
HEALTH_SWEEP_FAILURES = Counter(
    "tanfang_health_sweep_failures",
    "Device and system health sweeps (or heartbeat writes) that failed and were retried",
)
HEALTH_ALERTS = Counter(
    "tanfang_health_alerts",
    "Device-health alerts opened and cleared by the sweep, by type and action",
    ["type", "action"],
)
FOREIGN_MESSAGES = Counter(
    "tanfang_foreign_messages",
    "Messages of foreign sources (zigbee2mqtt, tasmota, shelly, esphome) handled, by source",
    ["source"],
)
