-- The hours of an elder whose activity_hourly rows are not current yet: marked by an insert
-- (activity_dirty) or taken for a recount not yet committed (activity_recount). Readers of
-- the rollup (care.activity_repo: the console's timeline) count those hours from the raw
-- events instead, so what they show equals the raw counts between two rollups.
CREATE FUNCTION activity_stale_hours(elder text) RETURNS SETOF timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT hour FROM activity_dirty WHERE elder_id = elder
    UNION
    SELECT hour FROM activity_recount WHERE elder_id = elder
$$;
