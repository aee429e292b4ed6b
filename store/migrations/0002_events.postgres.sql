-- Events on plain PostgreSQL: native range partitions by day, created ahead by the gateway
-- (store.partitions); the default partition only catches what falls outside them.

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
) PARTITION BY RANGE (ts);

CREATE TABLE events_default PARTITION OF events DEFAULT;
