-- Hourly activity per elder on plain PostgreSQL: a table the gateway's upkeep keeps
-- (gateway.upkeep, SELECT activity_rollup()), the same columns as the continuous aggregate
-- of the Timescale variant. Counted: what care.activity.ACTIVITY_KINDS names (a person's
-- doings), water only when some ran. The device, not its room, is kept: the console places
-- a device in the room it is registered in now, so the room is joined when read.
--
-- Incremental and exact: every insert into events marks the (elder, hour)s it touched in
-- activity_dirty, in the inserting transaction (a statement trigger, once per batch); the
-- rollup recounts only those hours, so a late event re-counts its hour, and running it
-- twice changes nothing.
--
-- Ingest must never wait for the rollup: the writers' inserts into activity_dirty would wait
-- for any transaction holding those rows. So the marks are moved out in a short transaction
-- of their own (activity_take_dirty) into activity_recount, which no writer touches, and the
-- long recount (activity_rollup) works from there. Writers mark in key order: two batches
-- marking the same new hours wait for each other at worst, never deadlock.

CREATE TABLE activity_hourly (
    elder_id   text NOT NULL,
    hour       timestamptz NOT NULL,
    device_id  text NOT NULL,
    kind       text NOT NULL,
    events     integer NOT NULL,
    last       timestamptz NOT NULL,
    PRIMARY KEY (elder_id, hour, device_id, kind)
);

CREATE TABLE activity_dirty (
    elder_id  text NOT NULL,
    hour      timestamptz NOT NULL,
    PRIMARY KEY (elder_id, hour)
);

CREATE TABLE activity_recount (
    elder_id  text NOT NULL,
    hour      timestamptz NOT NULL,
    PRIMARY KEY (elder_id, hour)
);

CREATE FUNCTION is_activity(kind text, value double precision) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT kind IN ('motion', 'door', 'bed', 'chair', 'water', 'checkin')
       AND NOT (kind = 'water' AND value IS NOT DISTINCT FROM 0)
$$;

CREATE FUNCTION activity_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO activity_dirty (elder_id, hour)
    SELECT DISTINCT elder_id, date_trunc('hour', ts, 'UTC') FROM inserted
    WHERE elder_id IS NOT NULL AND is_activity(kind, value)
    ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_activity_dirty AFTER INSERT ON events
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION activity_mark_dirty();

-- Move the marks to activity_recount (its own short transaction: writers may be waiting).
-- Never while a recount runs (the same lock): the recount then owns activity_recount whole.
CREATE FUNCTION activity_take_dirty() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    taken integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('tanfang.activity_rollup')) THEN
        RETURN 0;
    END IF;
    WITH moved AS (DELETE FROM activity_dirty RETURNING elder_id, hour)
    INSERT INTO activity_recount SELECT elder_id, hour FROM moved ORDER BY 1, 2
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS taken = ROW_COUNT;
    RETURN taken;
END
$$;

-- Recount the hours taken; return how many. One caller at a time (the advisory lock), so
-- gateways running upkeep together do the work once; a recount that fails leaves its hours
-- in activity_recount for the next.
CREATE FUNCTION activity_rollup() RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    recounted integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('tanfang.activity_rollup')) THEN
        RETURN 0;
    END IF;
    DELETE FROM activity_hourly AS a USING activity_recount AS r
    WHERE a.elder_id = r.elder_id AND a.hour = r.hour;
    INSERT INTO activity_hourly (elder_id, hour, device_id, kind, events, last)
    SELECT e.elder_id, r.hour, e.device_id, e.kind, count(*)::int, max(e.ts)
    FROM activity_recount AS r
    JOIN events AS e ON e.elder_id = r.elder_id AND e.ts >= r.hour AND e.ts < r.hour + interval '1 hour'
    WHERE is_activity(e.kind, e.value)
    GROUP BY e.elder_id, r.hour, e.device_id, e.kind;
    DELETE FROM activity_recount;
    GET DIAGNOSTICS recounted = ROW_COUNT;
    RETURN recounted;
END
$$;

-- What is stored already is counted once, here.
INSERT INTO activity_dirty (elder_id, hour)
SELECT DISTINCT elder_id, date_trunc('hour', ts, 'UTC') FROM events
WHERE elder_id IS NOT NULL AND is_activity(kind, value);
SELECT activity_take_dirty();
SELECT activity_rollup();
