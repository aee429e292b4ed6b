-- TimescaleDB used for what it is for: raw events compressed after 7 days, and hourly
-- activity per elder as a continuous aggregate (the plain-PostgreSQL variant keeps a table of
-- the same columns). Retention is not here: upkeep applies add_retention_policy from
-- TANFANG_EVENT_RETENTION_DAYS at every start, so a changed setting takes effect.

-- A device's events of a chunk compress together, newest first: the reads are "a device's
-- events, newest first" and "an elder's events in a time range". Late events (stored with
-- their device time up to 8 days back, store.partitions.DAYS_BACK) may land in a compressed
-- chunk: TimescaleDB writes into it.
ALTER TABLE events SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'device_id',
    timescaledb.compress_orderby = 'ts DESC'
);
SELECT add_compression_policy('events', compress_after => interval '7 days');

-- Counted: what care.activity.ACTIVITY_KINDS names, water only when some ran. The device,
-- not its room, is kept: the console places a device in the room it is registered in now.
-- Real-time (materialized_only = false): hours past the last refresh are read from events.
CREATE MATERIALIZED VIEW activity_hourly
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT elder_id, time_bucket(interval '1 hour', ts) AS hour, device_id, kind,
       count(*)::integer AS events, max(ts) AS last
FROM events
WHERE elder_id IS NOT NULL
  AND kind IN ('motion', 'door', 'bed', 'chair', 'water', 'checkin')
  AND NOT (kind = 'water' AND value IS NOT DISTINCT FROM 0)
GROUP BY elder_id, time_bucket(interval '1 hour', ts), device_id, kind
WITH NO DATA;

-- Refreshed every 15 minutes over the last 9 days (late events reach 8 days back), up to
-- the hour still filling.
SELECT add_continuous_aggregate_policy('activity_hourly',
    start_offset => interval '9 days', end_offset => interval '1 hour',
    schedule_interval => interval '15 minutes');
