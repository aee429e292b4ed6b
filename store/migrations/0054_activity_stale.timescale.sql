-- The hours of an elder whose activity_hourly rows are not current yet: none to name on
-- TimescaleDB, where the aggregate is real-time (materialized_only = false: hours past the
-- last refresh are read from events). The plain-PostgreSQL variant names the hours its
-- table's rollup has not recounted yet; readers call this on both.
CREATE FUNCTION activity_stale_hours(elder text) RETURNS SETOF timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT NULL::timestamptz WHERE false
$$;
