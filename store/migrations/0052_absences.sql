-- Declared absences (contract §2, POST /elders/{id}/absences): a hospital stay, a stay with
-- family. While one is in force no activity-based alert (inactivity, night wandering,
-- activity drop, missed check-in) is raised for the elder; emergencies still are. The
-- detection leader reads those in force at every sweep (gateway.detection).
CREATE TABLE elder_absences (
    id          bigserial PRIMARY KEY,
    elder_id    text NOT NULL REFERENCES elders (id) ON DELETE CASCADE,
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    reason      text NOT NULL,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
);
CREATE INDEX elder_absences_span ON elder_absences (ends_at, starts_at);
CREATE INDEX elder_absences_elder ON elder_absences (elder_id, starts_at DESC);
