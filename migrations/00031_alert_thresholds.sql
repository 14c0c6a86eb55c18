-- +goose Up
-- The alert rules' thresholds, set by platform admins on the settings page
-- (issue 16); the defaults are the rules' own.
ALTER TABLE portal_settings
    -- A partner refused by its rate limits this many times in an hour.
    ADD COLUMN alert_rate_limited_per_hour integer NOT NULL DEFAULT 100 CHECK (alert_rate_limited_per_hour BETWEEN 1 AND 1000000),
    -- A credential's hour at this many times its hourly average of the
    -- week before ...
    ADD COLUMN alert_spike_factor integer NOT NULL DEFAULT 10 CHECK (alert_spike_factor BETWEEN 2 AND 1000),
    -- ... and at least this many calls (or 4xx, or 5xx).
    ADD COLUMN alert_spike_min integer NOT NULL DEFAULT 100 CHECK (alert_spike_min BETWEEN 1 AND 1000000);

-- +goose Down
ALTER TABLE portal_settings DROP COLUMN alert_rate_limited_per_hour, DROP COLUMN alert_spike_factor, DROP COLUMN alert_spike_min;
