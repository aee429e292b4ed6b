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

-- The storm check reads the device_offline alerts opened in the last minute at every sweep.
CREATE INDEX alerts_offline_opened ON alerts (opened_at) WHERE type = 'device_offline';

-- The visit_overdue round looks at its own alerts every few minutes (those a person
-- resolved today are not raised again until tomorrow): few rows, kept apart.
CREATE INDEX alerts_visit_overdue ON alerts (resolved_at) WHERE type = 'visit_overdue';
