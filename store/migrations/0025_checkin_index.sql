-- Check-in presses, found cheaply: the gateway's reconcile (gateway/reconcile.py) looks for
-- the presses of the last days that no online visit holds as evidence (the in-transaction
-- step failed on their batch). Partial: a few presses an elder a day, so the index is small
-- and the other events' inserts never touch it.
CREATE INDEX IF NOT EXISTS events_checkins ON events (ts) WHERE kind = 'checkin';
