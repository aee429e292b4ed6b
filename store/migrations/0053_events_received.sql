-- The detection leader's feed (gateway.detect_feed) reads every committed event by when a
-- gateway received it: "received after my cursor, less a few seconds of overlap", every
-- sweep. A B-tree: the read is the newest rows of a growing partition, and a BRIN index
-- cannot answer that (its newest page ranges are not summarised yet, so it reads them all:
-- the whole partition of a busy day, measured). Receive times rise, so every insert goes
-- to the index's rightmost page (PostgreSQL's fast path for it); make bench measures what
-- ingest pays (docs/performance.md).
CREATE INDEX IF NOT EXISTS events_received ON events (received_at);
