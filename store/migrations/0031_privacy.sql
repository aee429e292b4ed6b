-- Privacy and accountability (issue 10): the audit log shown whole, kept append-only against
-- every role, and API tokens that expire, are rotated and say when they were last used.

-- GET /elders/{id}/audit reads every entry about one elder, whatever it read
-- (entity 'elder' or 'elder.*'), and the lists that showed the file (detail.ids).
CREATE INDEX IF NOT EXISTS audit_log_entity_id ON audit_log (entity_id, at DESC);
CREATE INDEX IF NOT EXISTS audit_log_listed_ids ON audit_log USING gin ((detail -> 'ids'))
    WHERE action = 'list';

-- The append-only triggers of 0010 fire for every role, the table's owner included; ALWAYS
-- makes them fire under session_replication_role = replica too, the usual way around
-- triggers.
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;
ALTER TABLE elder_history ENABLE ALWAYS TRIGGER elder_history_append_only;
ALTER TABLE elder_history ENABLE ALWAYS TRIGGER elder_history_no_truncate;

-- The owner could still disable or drop those triggers, or the tables. An event trigger
-- refuses that: after any ALTER TABLE the guards must still be there and ALWAYS enabled,
-- and no guard or append-only table may be dropped. Event triggers need a superuser to
-- create: a migration run by another role skips this (with a NOTICE), and then the
-- deployment's API role should not own the tables (docs/deploy.md).
CREATE OR REPLACE FUNCTION tanfang_guard_append_only_ddl() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM pg_trigger
         WHERE tgname IN ('audit_log_append_only', 'audit_log_no_truncate',
                          'elder_history_append_only', 'elder_history_no_truncate')
           AND tgenabled = 'A') < 4
       AND to_regclass('audit_log') IS NOT NULL THEN
        RAISE EXCEPTION 'the audit log and file history stay append-only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;

CREATE OR REPLACE FUNCTION tanfang_guard_append_only_drop() RETURNS event_trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_event_trigger_dropped_objects()
         WHERE (object_type = 'table' AND object_name IN ('audit_log', 'elder_history'))
            OR (object_type = 'trigger' AND (object_identity LIKE '%append_only on %'
                                             OR object_identity LIKE '%no_truncate on %'))
    ) THEN
        RAISE EXCEPTION 'the audit log and file history stay append-only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END $$;

DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        DROP EVENT TRIGGER IF EXISTS tanfang_append_only_alter;
        DROP EVENT TRIGGER IF EXISTS tanfang_append_only_drop;
        CREATE EVENT TRIGGER tanfang_append_only_alter ON ddl_command_end
            WHEN TAG IN ('ALTER TABLE', 'DROP TRIGGER')
            EXECUTE FUNCTION tanfang_guard_append_only_ddl();
        CREATE EVENT TRIGGER tanfang_append_only_drop ON sql_drop
            EXECUTE FUNCTION tanfang_guard_append_only_drop();
    ELSE
        RAISE NOTICE 'not a superuser: the append-only tables are not guarded against DDL';
    END IF;
END $$;

-- API tokens: people's tokens expire (POST /tokens sets expires_at), service tokens need
-- not; last_used_at is written at most once a minute a token; a rotated token's old secret
-- (previous_hash) keeps working until previous_expires_at.
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'person'
    CHECK (kind IN ('person', 'service'));
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS expires_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS last_used_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS rotated_at timestamptz;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS previous_hash text;
ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS previous_expires_at timestamptz;
CREATE UNIQUE INDEX IF NOT EXISTS api_tokens_previous_hash ON api_tokens (previous_hash)
    WHERE previous_hash IS NOT NULL;
