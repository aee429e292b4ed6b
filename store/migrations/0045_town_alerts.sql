-- Town-level alerts and storms (issue 12).
--
-- A town-level alert is about a whole town, not one elder nor one device: ``subject``
-- ``town:<name>``, ``elder_id`` and ``device_id`` NULL, and its town here (an elder's alert
-- takes its town from the elder, as before). Two kinds exist: the town's ``device_offline``
-- incident of a storm (many devices of the town offline within a minute) and the town's
-- ``visit_overdue`` (elders whose month is not yet met).
ALTER TABLE alerts ADD COLUMN town text;

-- A per-device alert grouped under its town's storm incident: opened (it is on record, and
-- clears itself like any other), but not escalated while the incident is active. NULL once
-- the incident is gone and the alert escalates on its own ("released").
ALTER TABLE alerts ADD COLUMN parent_id bigint REFERENCES alerts (id) ON DELETE SET NULL;
CREATE INDEX alerts_parent ON alerts (parent_id) WHERE parent_id IS NOT NULL;
-- Every sweep looks for grouped alerts still active whose incident is gone: the active few.
CREATE INDEX alerts_grouped_active ON alerts (parent_id)
    WHERE parent_id IS NOT NULL AND status IN ('open', 'acked');

-- The storm check reads the device_offline alerts opened in the last minute at every sweep.
CREATE INDEX alerts_offline_opened ON alerts (opened_at) WHERE type = 'device_offline';

-- The visit_overdue round looks at its own alerts every few minutes (those a person
-- resolved today are not raised again until tomorrow): few rows, kept apart.
CREATE INDEX alerts_visit_overdue ON alerts (resolved_at) WHERE type = 'visit_overdue';

-- Whether a phone can be called (GET /alerts/coverage): at least 7 digits (a Chinese fixed
-- line without its area code; fewer is a service number or a placeholder), not one digit
-- repeated (0000000), not an ascending run (1234567, 12345678901) — what people type when a
-- form wants a number they do not have. NULL: no phone, not usable.
CREATE FUNCTION tanfang_phone_usable(phone text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN coalesce(
    length(regexp_replace(phone, '[^0-9]', '', 'g')) >= 7
    AND regexp_replace(phone, '[^0-9]', '', 'g') !~ '^(.)\1*$'
    AND strpos('01234567890123456789', regexp_replace(phone, '[^0-9]', '', 'g')) = 0,
    false);

-- The contacts that cannot be called are few: the coverage list reads them from here, and
-- the statistics tell the planner how few (a function's selectivity is otherwise a guess).
CREATE INDEX contacts_unusable_phone ON contacts (elder_id) WHERE NOT tanfang_phone_usable(phone);
CREATE STATISTICS contacts_phone_usable ON (tanfang_phone_usable(phone)) FROM contacts;

