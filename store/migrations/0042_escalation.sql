-- Escalation (issue 11): policies per severity, the on-call roster, one escalation row per
-- alert being escalated (its next step and when it is due), and the notifications that the
-- steps make (an outbox: each is delivered, retried and recorded on its own).

CREATE TABLE escalation_policies (
    severity        text PRIMARY KEY CHECK (severity IN ('critical', 'high', 'low')),
    steps           jsonb NOT NULL,
    repeat_after_s  integer NOT NULL CHECK (repeat_after_s >= 0),
    ack_timeout_s   integer NOT NULL CHECK (ack_timeout_s > 0),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text
);
-- Shipped defaults: critical as the contract's example; high reaches the on-call, then the
-- first contact, then the town; low (a battery, a quiet sensor) is a work order for the town.
INSERT INTO escalation_policies (severity, steps, repeat_after_s, ack_timeout_s) VALUES
 ('critical', '[{"after_s": 0, "notify": "on_call"},
                {"after_s": 60, "notify": "contacts", "count": 1},
                {"after_s": 180, "notify": "contacts", "count": 2},
                {"after_s": 600, "notify": "town"}]', 300, 1800),
 ('high', '[{"after_s": 0, "notify": "on_call"},
            {"after_s": 900, "notify": "contacts", "count": 1},
            {"after_s": 3600, "notify": "town"}]', 3600, 14400),
 ('low', '[{"after_s": 0, "notify": "town"}]', 0, 604800);

-- Who is on duty when; ``towns`` NULL: every town.
CREATE TABLE on_call_shifts (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    phone       text NOT NULL,
    towns       text[],
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text
);
CREATE INDEX on_call_shifts_time ON on_call_shifts (ends_at, starts_at);

-- One row per alert under escalation. ``next_step`` counts the steps run in this cycle (past
-- the policy's last step: its repeats); ``due_at`` is when it runs. ``phase`` 'ack_timeout':
-- the alert is acked and this is when it opens again if nobody resolved it. A cycle restarts
-- (``cycle`` + 1) when the alert opens again. Claimed with FOR UPDATE SKIP LOCKED.
CREATE TABLE alert_escalations (
    alert_id       bigint PRIMARY KEY REFERENCES alerts (id) ON DELETE CASCADE,
    severity       text NOT NULL,
    cycle          integer NOT NULL DEFAULT 0,
    started_at     timestamptz NOT NULL,
    next_step      integer NOT NULL DEFAULT 0,
    due_at         timestamptz NOT NULL,
    phase          text NOT NULL DEFAULT 'step' CHECK (phase IN ('step', 'ack_timeout')),
    contacts_done  integer NOT NULL DEFAULT 0
);
CREATE INDEX alert_escalations_due ON alert_escalations (due_at);

-- Every notification a step (or a resolution, a reminder, a last resort) made, one per
-- recipient and channel: delivered by whichever escalator claims it (a lease, renewed while
-- it is being sent), retried until ``give_up_at``. The unique key makes a step safe to run
-- twice.
CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    alert_id         bigint NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    cycle            integer NOT NULL,
    step             integer NOT NULL,
    level            integer NOT NULL,
    purpose          text NOT NULL
                         CHECK (purpose IN ('alert', 'reminder', 'resolution', 'last_resort')),
    recipient_role   text NOT NULL,
    recipient_key    text NOT NULL,
    recipient_name   text,
    recipient_phone  text,
    channel          text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    next_attempt_at  timestamptz NOT NULL,
    give_up_at       timestamptz NOT NULL,
    claimed_until    timestamptz,
    claimed_by       text,
    sent_at          timestamptz,
    last_error       text,
    UNIQUE (alert_id, cycle, step, purpose, recipient_key, channel)
);
CREATE INDEX notifications_pending ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_alert ON notifications (alert_id);

-- Keys the installation makes for itself on first use (the ack links' signing key): shared
-- by every process on the database, kept across restarts.
CREATE TABLE app_secrets (
    name   text PRIMARY KEY,
    value  bytea NOT NULL
);
