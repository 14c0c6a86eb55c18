-- +goose Up
-- Attempt counters: one row per thing whose attempts are limited (a
-- sign-in account, a client address, a user's reset mails or console
-- tokens, a partner's invitations), keyed by (kind, key). A limited action
-- first locks or bumps its row in the same statement that decides, so
-- concurrent requests cannot all pass a check made before any of them was
-- counted (issue 11, finding 2). Plain rows and upserts: no advisory locks,
-- so this works on PostgreSQL-compatible distributed engines too.
CREATE TABLE attempt_counters (
    kind          text NOT NULL,
    key           text NOT NULL,
    -- Start of the counting window; count is the attempts counted in it.
    window_start  timestamptz NOT NULL DEFAULT now(),
    count         integer NOT NULL DEFAULT 0 CHECK (count >= 0),
    -- No attempt before this time (exponential back-off, or the next
    -- low-rate slot of an address over its budget).
    blocked_until timestamptz,
    -- After this the row means nothing and is pruned.
    expires_at    timestamptz NOT NULL DEFAULT now() + interval '1 day',
    PRIMARY KEY (kind, key)
);
CREATE INDEX attempt_counters_expires ON attempt_counters (expires_at);

-- The failure log the sign-in throttle counted (migration 00002) is
-- replaced by the counters above.
DROP TABLE sign_in_failures;

-- +goose Down
CREATE TABLE sign_in_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL,
    ip          text NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, failed_at);
DROP TABLE attempt_counters;
