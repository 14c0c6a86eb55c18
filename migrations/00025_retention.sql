-- +goose Up
-- Retention (issue 13): call rows (api_calls) older than
-- calls_retention_days are dropped a day partition at a time by a
-- scheduled job (internal/retention); the per-minute rollups are kept
-- longer, rollups_retention_days, and deleted in bounded batches. The
-- rollups never go before the calls they count.
ALTER TABLE portal_settings
    ADD COLUMN calls_retention_days int NOT NULL DEFAULT 400 CHECK (calls_retention_days BETWEEN 7 AND 3650),
    ADD COLUMN rollups_retention_days int NOT NULL DEFAULT 800 CHECK (rollups_retention_days BETWEEN 7 AND 7300),
    ADD CONSTRAINT portal_settings_rollups_outlive_calls CHECK (rollups_retention_days >= calls_retention_days);

-- One row per run of the retention job: the settings page shows the last
-- one, the scheduler reads it to run once a day, and a run cut short (lock
-- timeout, deadline, shutdown) is marked incomplete so the next hourly
-- check runs again. A row a day: small for ever.
CREATE TABLE retention_runs (
    id                    bigserial PRIMARY KEY,
    started_at            timestamptz NOT NULL,
    finished_at           timestamptz NOT NULL,
    calls_before          date NOT NULL,
    rollups_before        timestamptz NOT NULL,
    partitions_dropped    text[] NOT NULL DEFAULT '{}',
    default_rows_deleted  bigint NOT NULL DEFAULT 0,
    rollup_rows_deleted   bigint NOT NULL DEFAULT 0,
    complete              boolean NOT NULL,
    error                 text NOT NULL DEFAULT ''
);
CREATE INDEX retention_runs_started ON retention_runs (started_at DESC);

-- +goose Down
DROP TABLE retention_runs;
ALTER TABLE portal_settings
    DROP CONSTRAINT portal_settings_rollups_outlive_calls,
    DROP COLUMN rollups_retention_days,
    DROP COLUMN calls_retention_days;
