-- The alert change feed (issue 12): every alert_timeline row is one change, sent in id order
-- to MQTT ({root}/alerts/{town}) by the gateway and to the API's live stream.
--
-- Ids are drawn in one order and committed in another: a reader that took "every id above
-- my position" would step over an id whose transaction commits late. So each id is drawn
-- under a shared advisory lock that its transaction holds until it ends. A reader reads the
-- sequence's last value N, then which transactions hold the lock (pg_locks); once they have
-- all ended, every id up to N is committed or gone for good, and the reader moves up to N
-- (alerting/feed.py). Only transactions that write alert changes are waited for, never an
-- unrelated long one (a compression job, an import), as a horizon of all transactions would.
--
-- The lock key (1952542310 = 'tanf', 1) is alerting/feed_repo.py's WRITER_LOCK.
CREATE FUNCTION tanfang_alert_change_id() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(1952542310, 1);
    RETURN nextval('alert_timeline_id_seq');
END $$;
ALTER TABLE alert_timeline ALTER COLUMN id SET DEFAULT tanfang_alert_change_id();
-- A session's cached values would be handed out after a reader read the last value.
ALTER SEQUENCE alert_timeline_id_seq CACHE 1;

-- Readers wake on this (delivered at commit); they read from their own position, so the
-- payload says nothing and several inserts of one transaction are one wake.
CREATE FUNCTION tanfang_alert_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tanfang_alert_changes', '');
    RETURN NULL;
END $$;
CREATE TRIGGER alert_timeline_changed AFTER INSERT ON alert_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION tanfang_alert_changed();

-- Where a follower of the feed stands (the gateway's MQTT publisher: 'mqtt:<topic root>'):
-- every change up to ``position`` has been handed on. A restart resumes from here.
CREATE TABLE alert_feed_cursors (
    name        text PRIMARY KEY,
    position    bigint NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- Single-use tickets that open the live stream (GET /api/v1/alerts/stream?ticket=): a
-- browser's EventSource cannot send the bearer token. Only the SHA-256 of a ticket is kept,
-- with the role and town of the token that asked for it; any API process accepts it.
CREATE TABLE alert_stream_tickets (
    ticket_hash  text PRIMARY KEY,
    role         text NOT NULL,
    town         text,
    token_id     bigint REFERENCES api_tokens (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);
CREATE INDEX alert_stream_tickets_expiry ON alert_stream_tickets (expires_at);
