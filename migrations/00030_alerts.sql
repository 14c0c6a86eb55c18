-- +goose Up
-- Alerts on suspicious or risky credential use (issue 16). A scheduled job
-- (one node at a time) raises each alert once per cause: the unique index
-- over (partner, rule, token, cause) makes a second raise of the same
-- cause a no-op, so a rule that holds for hours mails once. cause is the
-- rule's window or level ("2026-12-05T10:00Z", "2026-12/80/group 3").
CREATE TABLE alerts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id      bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    -- The credential the alert is about; NULL for a partner-wide one
    -- (quota, rate limit).
    token_id        bigint REFERENCES tokens (id) ON DELETE CASCADE,
    rule            text NOT NULL CHECK (rule ~ '^[a-z0-9_]{1,40}$'),
    cause           text NOT NULL CHECK (length(cause) BETWEEN 1 AND 200),
    message         text NOT NULL CHECK (length(message) BETWEEN 1 AND 1000),
    raised_at       timestamptz NOT NULL DEFAULT now(),
    acknowledged_at timestamptz,
    acknowledged_by bigint REFERENCES users (id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX alerts_once ON alerts (partner_id, rule, coalesce(token_id, 0), cause);
-- A partner's alerts, newest first, and the open ones (the navigation's
-- count and the default view).
CREATE INDEX alerts_partner ON alerts (partner_id, raised_at DESC, id DESC);
CREATE INDEX alerts_open ON alerts (raised_at DESC, id DESC) WHERE acknowledged_at IS NULL;
CREATE INDEX alerts_partner_open ON alerts (partner_id, raised_at DESC, id DESC) WHERE acknowledged_at IS NULL;
CREATE INDEX alerts_token ON alerts (token_id) WHERE token_id IS NOT NULL;

-- A rule muted for one credential: the job raises it no more for it.
CREATE TABLE alert_mutes (
    token_id  bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    rule      text NOT NULL,
    muted_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    muted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, rule)
);

-- +goose Down
DROP TABLE alert_mutes;
DROP TABLE alerts;
