-- Elders (一人一檔), devices, tokens, dead letters: the tables every part of Tanfang reads.

CREATE TABLE elders (
    id                              text PRIMARY KEY,
    name                            text NOT NULL,
    gender                          text,
    birth_date                      date,
    town                            text,
    village                         text,
    address                         text,
    phone                           text,
    living_arrangement              text NOT NULL DEFAULT 'alone',
    incapacitated                   boolean NOT NULL DEFAULT false,
    dementia                        boolean NOT NULL DEFAULT false,
    disability_level                text NOT NULL DEFAULT 'none',
    low_income                      boolean NOT NULL DEFAULT false,
    family_planning_special         boolean NOT NULL DEFAULT false,
    couple_with_dependent           boolean NOT NULL DEFAULT false,
    cares_for_dependent_child       boolean NOT NULL DEFAULT false,
    category_override               text,
    visit_consent                   boolean NOT NULL DEFAULT true,
    inactivity_alert_after_minutes  integer,
    created_at                      timestamptz NOT NULL DEFAULT now(),
    updated_at                      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX elders_town ON elders (town, id);

CREATE TABLE devices (
    id                    text PRIMARY KEY,
    type                  text NOT NULL,
    elder_id              text REFERENCES elders (id) ON DELETE SET NULL,
    room                  text,
    heartbeat_interval_s  integer NOT NULL DEFAULT 300,
    online                boolean,
    status                text NOT NULL DEFAULT 'unknown',
    status_changed_at     timestamptz,
    last_seen             timestamptz,
    battery               smallint,
    rssi                  smallint,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX devices_elder ON devices (elder_id);

-- The gateway keeps the registry in memory; this tells every gateway when it changes.
CREATE FUNCTION tanfang_notify_devices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('tanfang_devices', 'delete:' || OLD.id);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('tanfang_devices', 'upsert:' || NEW.id);
    RETURN NEW;
END $$;
CREATE TRIGGER devices_notify
    AFTER INSERT OR DELETE OR UPDATE OF elder_id, type ON devices
    FOR EACH ROW EXECUTE FUNCTION tanfang_notify_devices();

CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,
    role        text NOT NULL,
    town        text,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE dead_letters (
    id            bigserial PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    topic         text NOT NULL,
    device_id     text,
    reason        text NOT NULL,
    detail        text,
    payload       bytea NOT NULL,
    payload_size  integer NOT NULL
);
CREATE INDEX dead_letters_received ON dead_letters (received_at DESC);
CREATE INDEX dead_letters_device ON dead_letters (device_id, received_at DESC);
