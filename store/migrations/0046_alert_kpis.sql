-- The alerts' response-time report (issue 12, alerting/kpi_repo.py) reads the alerts opened
-- in a month: an index on the opening time keeps that read to the month's rows instead of
-- every alert ever raised.
CREATE INDEX IF NOT EXISTS alerts_opened ON alerts (opened_at);
