-- "The same (device, ts, seq) is stored once", and the two reads every screen makes:
-- events of a device newest first, and events of an elder in a time range.

CREATE UNIQUE INDEX events_identity ON events (device_id, ts, seq);
CREATE INDEX events_device_ts ON events (device_id, ts DESC);
CREATE INDEX events_elder_ts ON events (elder_id, ts DESC) WHERE elder_id IS NOT NULL;
