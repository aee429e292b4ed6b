-- Events on TimescaleDB: a hypertable in one-day chunks.

CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE events (
    device_id    text NOT NULL,
    ts           timestamptz NOT NULL,
    seq          bigint,
    kind         text NOT NULL,
    value        double precision,
    battery      smallint,
    rssi         smallint,
    flags        text[] NOT NULL DEFAULT '{}',
    extra        jsonb,
    elder_id     text,
    received_at  timestamptz NOT NULL
);

SELECT create_hypertable('events', 'ts', chunk_time_interval => interval '1 day');
