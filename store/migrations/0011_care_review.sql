-- Care domain, after review: the day a file was opened.

-- The day the elder's file was opened (建檔日期). Settable, so that a paper file typed in
-- later counts from the day it was really opened, not from the day it was typed in. NULL
-- (rows written before this column, or by tools inserting directly) means the day of
-- created_at in TANFANG_TIMEZONE: the queries fall back to created_at, where the zone is
-- known; the API always stores a date.
ALTER TABLE elders ADD COLUMN IF NOT EXISTS filed_on date;
