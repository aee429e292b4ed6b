-- The detection leader's feed (gateway.detect_feed) reads every committed event by when a
-- gateway received it: "received after my cursor, less an overlap". A BRIN index: received
-- times rise with the heap's order within each partition, so a few page ranges answer the
-- read, and an insert costs next to nothing (no B-tree to keep in order beside the three
-- ingest already pays for). autosummarize: new page ranges are summarised soon after they
-- fill; until then BRIN reads them anyway, which is what a read of the newest rows wants.
CREATE INDEX IF NOT EXISTS events_received ON events USING brin (received_at)
    WITH (pages_per_range = 16, autosummarize = on);
