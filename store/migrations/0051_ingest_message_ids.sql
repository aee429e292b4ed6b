-- HTTP ingest (POST /api/v1/ingest/{source}) is idempotent by the vendor's message id: the
-- id is claimed in the transaction that stores the message's events, so a retried delivery
-- finds it taken and stores nothing again (docs/api.md, "HTTP ingest").
CREATE TABLE ingest_message_ids (
    source       text NOT NULL,
    message_id   text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, message_id)
);
CREATE INDEX ingest_message_ids_received ON ingest_message_ids (received_at);
