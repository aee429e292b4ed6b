-- The care domain: the elder file's history and audit, contacts, visits (with their source
-- device and follow-up), heightened-watch periods, check-in prompts, and the plan's classes
-- as an SQL function so that the monthly report classifies every elder in one query.

-- The file (一人一檔): a refusal of visits is recorded with its reason and date, and the
-- elder's contact person (探訪關愛服務聯系人) is part of the file.
ALTER TABLE elders
    ADD COLUMN IF NOT EXISTS refusal_reason text,
    ADD COLUMN IF NOT EXISTS refusal_date date,
    ADD COLUMN IF NOT EXISTS contact_person text,
    ADD COLUMN IF NOT EXISTS contact_person_phone text;

-- Age on a day: the birthday itself counts; someone born on 29 February is a year older
-- from 1 March in common years (the same rule as care.category.age_on).
CREATE FUNCTION tanfang_age(birth date, on_day date) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (extract(year FROM on_day) - extract(year FROM birth))::integer
         - CASE WHEN (extract(month FROM on_day), extract(day FROM on_day))
                   < (extract(month FROM birth), extract(day FROM birth))
                THEN 1 ELSE 0 END
$$;

-- The plan's classes A/B/C; the same rules, in the same order, as care.category.classify
-- (tests/care/test_category_sql.py compares the two over every combination of fields).
-- "At least N years old on on_day" is "born on or before on_day minus N years": the same
-- rule as tanfang_age, but a comparison with a constant, so the report classifying 100 000
-- elders computes no age per row.
CREATE FUNCTION tanfang_care_category(
    override text, birth date, living text, incapacitated boolean, disability text,
    low_income boolean, family_planning_special boolean, couple_with_dependent boolean,
    cares_for_dependent_child boolean, on_day date
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN override IN ('A', 'B', 'C') THEN override
        WHEN birth IS NULL OR birth > on_day THEN NULL
        WHEN birth > (on_day - interval '60 years')::date THEN NULL
        WHEN incapacitated THEN 'A'
        WHEN birth <= (on_day - interval '80 years')::date
             AND living IN ('alone', 'empty_nest', 'left_behind') THEN 'A'
        WHEN low_income AND living IN ('alone', 'empty_nest', 'left_behind') THEN 'A'
        WHEN family_planning_special AND living = 'alone' THEN 'A'
        WHEN birth > (on_day - interval '80 years')::date
             AND disability = 'severe' AND living = 'alone' THEN 'B'
        WHEN birth > (on_day - interval '80 years')::date AND couple_with_dependent THEN 'B'
        WHEN cares_for_dependent_child THEN 'B'
        WHEN living IN ('alone', 'empty_nest', 'left_behind') OR disability = 'severe'
             OR family_planning_special OR couple_with_dependent THEN 'C'
    END
$$;

-- Append-only tables: the API has no route that edits them, and the database refuses too.
CREATE FUNCTION tanfang_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

-- Every change of a file, with who made it (SET LOCAL tanfang.actor) and when.
CREATE TABLE elder_history (
    id          bigserial PRIMARY KEY,
    elder_id    text NOT NULL,
    changed_at  timestamptz NOT NULL DEFAULT now(),
    changed_by  text NOT NULL,
    operation   text NOT NULL,
    changes     jsonb NOT NULL
);
CREATE INDEX elder_history_elder ON elder_history (elder_id, id DESC);

CREATE FUNCTION tanfang_elder_history() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    diff jsonb;
    actor text := coalesce(nullif(current_setting('tanfang.actor', true), ''), 'system');
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_array('null'::jsonb, n.value)),
                        '{}'::jsonb)
          INTO diff
          FROM jsonb_each(to_jsonb(NEW)) AS n
         WHERE n.key NOT IN ('created_at', 'updated_at');
    ELSE
        SELECT coalesce(jsonb_object_agg(n.key, jsonb_build_array(o.value, n.value)),
                        '{}'::jsonb)
          INTO diff
          FROM jsonb_each(to_jsonb(NEW)) AS n
          JOIN jsonb_each(to_jsonb(OLD)) AS o USING (key)
         WHERE n.value IS DISTINCT FROM o.value AND n.key NOT IN ('created_at', 'updated_at');
        IF diff = '{}'::jsonb THEN
            RETURN NULL;
        END IF;
    END IF;
    INSERT INTO elder_history (elder_id, changed_by, operation, changes)
    VALUES (NEW.id, actor, lower(TG_OP), diff);
    RETURN NULL;
END $$;
CREATE TRIGGER elders_history AFTER INSERT OR UPDATE ON elders
    FOR EACH ROW EXECUTE FUNCTION tanfang_elder_history();
CREATE TRIGGER elder_history_append_only BEFORE UPDATE OR DELETE ON elder_history
    FOR EACH ROW EXECUTE FUNCTION tanfang_append_only();
CREATE TRIGGER elder_history_no_truncate BEFORE TRUNCATE ON elder_history
    FOR EACH STATEMENT EXECUTE FUNCTION tanfang_append_only();

-- Who read or changed which file, when (personal-information law: records of access).
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text NOT NULL,
    role       text NOT NULL,
    action     text NOT NULL,
    entity     text NOT NULL,
    entity_id  text,
    town       text,
    detail     jsonb
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, at DESC);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION tanfang_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION tanfang_append_only();

-- Emergency contacts (緊急聯系人).
CREATE TABLE contacts (
    id          bigserial PRIMARY KEY,
    elder_id    text NOT NULL REFERENCES elders (id) ON DELETE CASCADE,
    name        text NOT NULL,
    phone       text NOT NULL,
    relation    text NOT NULL CHECK (relation IN ('child', 'relative', 'friend', 'neighbour',
                                                  'village_staff', 'social_worker', 'other')),
    priority    integer CHECK (priority >= 1),
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_elder ON contacts (elder_id, id);

-- Visits (探訪關愛服務記錄表): who visited, how, what was found, what must follow.
-- source 'checkin': an online visit made by a Ping An Tong press, at most one an elder a
-- local day (visit_day, in TANFANG_TIMEZONE); the other presses of that day are evidence.
CREATE TABLE visits (
    id               bigserial PRIMARY KEY,
    elder_id         text NOT NULL REFERENCES elders (id) ON DELETE CASCADE,
    method           text NOT NULL CHECK (method IN ('in_home', 'phone', 'video', 'online')),
    visited_at       timestamptz NOT NULL,
    visit_day        date NOT NULL,
    visitor          text,
    findings         text,
    refused          boolean NOT NULL DEFAULT false,
    follow_up        text[] NOT NULL DEFAULT '{}'
                     CHECK (follow_up <@ ARRAY['social_worker', 'counsellor', 'risk']::text[]),
    follow_up_notes  text,
    source           text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'checkin')),
    source_device_id text,
    source_event_ts  timestamptz,
    recorded_by      text,
    recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX visits_one_checkin_a_day ON visits (elder_id, visit_day)
    WHERE source = 'checkin';
CREATE INDEX visits_elder_time ON visits (elder_id, visited_at DESC);
-- The monthly report reads a month of visits from this index alone.
CREATE INDEX visits_time ON visits (visited_at) INCLUDE (elder_id, method, refused, source);
-- "The last in-home visit" of an elder, for compliance and the due list.
CREATE INDEX visits_in_home ON visits (elder_id, visited_at DESC)
    WHERE method = 'in_home' AND NOT refused;

CREATE TABLE visit_evidence (
    visit_id   bigint NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
    device_id  text NOT NULL,
    event_ts   timestamptz NOT NULL,
    PRIMARY KEY (device_id, event_ts)
);
CREATE INDEX visit_evidence_visit ON visit_evidence (visit_id);

-- Heightened watch (extreme weather, festivals, disasters, public-health events).
CREATE TABLE watch_periods (
    id                   bigserial PRIMARY KEY,
    town                 text,
    starts_on            date NOT NULL,
    ends_on              date NOT NULL,
    reason               text NOT NULL,
    min_visits_per_week  integer NOT NULL CHECK (min_visits_per_week BETWEEN 1 AND 21),
    created_by           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX watch_periods_span ON watch_periods (ends_on, starts_on);

-- Check-in prompts sent: the primary key is the "at most once a device a day" claim.
CREATE TABLE checkin_prompts (
    device_id  text NOT NULL,
    day        date NOT NULL,
    elder_id   text NOT NULL,
    prompt_id  text NOT NULL,
    sent_at    timestamptz NOT NULL,
    PRIMARY KEY (device_id, day)
);
