-- Care domain, after review: the day a file was opened.

-- The day the elder's file was opened (建檔日期). Settable, so that a paper file typed in
-- later counts from the day it was really opened, not from the day it was typed in. NULL
-- (rows written before this column, or by tools inserting directly) means the day of
-- created_at in TANFANG_TIMEZONE: the queries fall back to created_at, where the zone is
-- known; the API always stores a date.
ALTER TABLE elders ADD COLUMN IF NOT EXISTS filed_on date;

-- Check-in prompts: at most one an ELDER a day (an elder with two Ping An Tong buttons is
-- prompted once, on one button), besides the device's own (device_id, day) key. Older
-- duplicate rows are dropped first, keeping the first device's.
DELETE FROM checkin_prompts AS a USING checkin_prompts AS b
 WHERE a.elder_id = b.elder_id AND a.day = b.day AND a.device_id > b.device_id;
CREATE UNIQUE INDEX IF NOT EXISTS checkin_prompts_elder_day ON checkin_prompts (elder_id, day);

-- POST /visits with an Idempotency-Key header: a client's retry of the same request
-- records the visit once. Keys are the client's, so they are unique per caller.
ALTER TABLE visits ADD COLUMN IF NOT EXISTS idempotency_key text;
CREATE UNIQUE INDEX IF NOT EXISTS visits_idempotency_key ON visits (recorded_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
