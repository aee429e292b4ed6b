-- Alerts (issue 11): one row per open condition, its timeline, and the events that raised it.
--
-- One open-or-acked alert per condition is the database's rule, not the code's: the partial
-- unique index below lets replicas and redeliveries refresh an alert (INSERT … ON CONFLICT
-- … DO UPDATE) but never open a second. ``subject`` is what the condition is about:
-- ``elder:<id>`` for the elder's alerts, ``device:<id>`` for device health (and for an
-- emergency from a device assigned to no elder).

CREATE TABLE alerts (
    id                  bigserial PRIMARY KEY,
    type                text NOT NULL,
    severity            text NOT NULL CHECK (severity IN ('critical', 'high', 'low')),
    subject             text NOT NULL,
    elder_id            text,
    device_id           text,
    status              text NOT NULL DEFAULT 'open'
                            CHECK (status IN ('open', 'acked', 'resolved')),
    opened_at           timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    count               integer NOT NULL DEFAULT 1,
    acked_at            timestamptz,
    acked_by            text,
    acked_by_actor      text,
    resolved_at         timestamptz,
    resolved_by         text,
    resolved_by_actor   text,
    outcome             text CHECK (outcome IN ('false_alarm', 'handled_at_home',
                            'sent_to_hospital', 'deceased', 'device_fault', 'other')),
    notes               text,
    escalation_level    integer NOT NULL DEFAULT 0,
    summary             text NOT NULL,
    cancelled_by_elder  boolean NOT NULL DEFAULT false,
    cancelled_at        timestamptz,
    -- What the last signal did to the row (opened, refreshed, reopened): the upsert's
    -- RETURNING cannot see the row as it was, so the DO UPDATE writes it down.
    last_change         text NOT NULL DEFAULT 'opened'
);
CREATE UNIQUE INDEX alerts_one_active ON alerts (type, subject)
    WHERE status IN ('open', 'acked');
CREATE INDEX alerts_elder ON alerts (elder_id, id DESC);
CREATE INDEX alerts_status ON alerts (status, id DESC);

-- Every state change of an alert and (with escalation) every notification attempt.
CREATE TABLE alert_timeline (
    id           bigserial PRIMARY KEY,
    alert_id     bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    kind         text NOT NULL,
    actor        text,
    who          text,
    channel      text,
    result       text,
    error        text,
    duration_ms  integer,
    detail       jsonb
);
CREATE INDEX alert_timeline_alert ON alert_timeline (alert_id, at, id);

-- The stored events each alert was raised or refreshed by, keyed like the event: the
-- reconcile (gateway/reconcile.py) opens the alert of a critical event that has no row here
-- (its in-transaction step failed), and an event already here is never counted twice.
-- ``alert_id`` is NULL for an event that was examined and matched no alert (a late cancel).
CREATE TABLE alert_events (
    device_id  text NOT NULL,
    ts         timestamptz NOT NULL,
    kind       text NOT NULL,
    alert_id   bigint REFERENCES alerts (id) ON DELETE CASCADE,
    PRIMARY KEY (device_id, ts, kind)
);
CREATE INDEX alert_events_alert ON alert_events (alert_id);

-- The reconcile's read: critical events and cancels received lately. Partial, so the
-- other events' inserts never touch it.
CREATE INDEX IF NOT EXISTS events_alerting ON events (received_at)
    WHERE kind IN ('sos', 'fall', 'smoke', 'gas', 'cancel');
