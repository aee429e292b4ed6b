-- Device and system health (issue 11).
--
-- Each gateway writes its heartbeat here every few seconds (gateway/health_loop.py), keyed by
-- its MQTT client id (fixed per gateway, so the table holds one row per gateway ever run).
-- ``seen_at``: the process was alive and reached the database; ``ingesting_at``: the last
-- heartbeat at which its ingest worked (broker session up and subscribed, commits
-- succeeding); ``first_seen_at``: its first heartbeat ever (a gateway that never ingested
-- is silent since then — not since its last restart, so a crash loop is an outage too).
-- When every gateway has been silent a minute, any live process raises the system alert
-- ``gateway_outage`` (alerting/gateway_outage.py).
CREATE TABLE gateway_heartbeats (
    client_id     text PRIMARY KEY,
    first_seen_at timestamptz NOT NULL,
    started_at    timestamptz NOT NULL,
    seen_at       timestamptz NOT NULL,
    ingesting     boolean NOT NULL,
    ingesting_at  timestamptz
);

-- The device-health sweep reads the active device_offline / battery_low alerts each time:
-- a partial index keeps that read to the few active rows.
CREATE INDEX alerts_active_health ON alerts (type, device_id)
    WHERE status IN ('open', 'acked') AND type IN ('device_offline', 'battery_low');
