-- +goose Up
-- Personal access tokens. Only the HMAC-SHA256 of a token (under the
-- server key) is stored; hint is "ptc_sbx_…last4" for lists. A regenerated
-- token keeps its row and settings: the old secret's hash moves to
-- previous_hash and keeps working until previous_until (a grace period of
-- at most a day). Revoked and expired tokens stay for the audit trail.
CREATE TABLE tokens (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id           bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    partner_id        bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    environment       text NOT NULL CHECK (environment IN ('sandbox', 'live')),
    hash              bytea NOT NULL UNIQUE,
    hint              text NOT NULL,
    -- scopes are "SLUG/SCOPE" for catalog APIs and "portal:…" for the
    -- management API.
    scopes            text[] NOT NULL CHECK (cardinality(scopes) > 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    -- pending tokens wait for a partner admin's approval (live tokens of
    -- partners that require it); they authenticate nothing until approved.
    pending           boolean NOT NULL DEFAULT false,
    approved_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    approved_at       timestamptz,
    revoked_at        timestamptz,
    revoked_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    revoke_reason     text NOT NULL DEFAULT '',
    previous_hash     bytea UNIQUE,
    previous_until    timestamptz,
    regenerated_at    timestamptz,
    last_used_at      timestamptz,
    last_used_ip      inet,
    -- the expiry notices already sent (7 and 1 days before).
    notified_7d       boolean NOT NULL DEFAULT false,
    notified_1d       boolean NOT NULL DEFAULT false
);
CREATE INDEX tokens_user ON tokens (user_id, created_at DESC);
CREATE INDEX tokens_partner ON tokens (partner_id, created_at DESC);
CREATE INDEX tokens_expiring ON tokens (expires_at) WHERE revoked_at IS NULL;

-- Portal-wide settings: one row, kept by platform admins.
CREATE TABLE portal_settings (
    id                  int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    token_max_days      int NOT NULL DEFAULT 365 CHECK (token_max_days BETWEEN 1 AND 3650),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    updated_by          bigint REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO portal_settings DEFAULT VALUES;

-- A partner may require a partner admin's approval of live tokens.
ALTER TABLE partners ADD COLUMN require_live_approval boolean NOT NULL DEFAULT false;

-- Credential caches on every node listen on portico_credentials: a change
-- to one token names it; anything that changes what users are granted
-- (grants, groups, teams, users, partners, API status) says '*'. Triggers,
-- so no code path can forget; NOTIFY is sent at commit, so a cache never
-- drops an entry for a change that rolled back.
-- +goose StatementBegin
CREATE FUNCTION notify_token_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portico_credentials', 'token:' || COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION notify_access_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portico_credentials', '*');
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER tokens_notify AFTER UPDATE OF hash, previous_hash, previous_until, expires_at, pending, revoked_at, scopes, environment ON tokens
    FOR EACH ROW EXECUTE FUNCTION notify_token_change();
CREATE TRIGGER tokens_notify_delete AFTER DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION notify_token_change();
CREATE TRIGGER grants_notify AFTER INSERT OR UPDATE OR DELETE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER access_group_apis_notify AFTER INSERT OR UPDATE OR DELETE ON access_group_apis
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER access_groups_notify AFTER UPDATE OF rate_limit_per_minute, monthly_quota OR DELETE ON access_groups
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER team_memberships_notify AFTER INSERT OR UPDATE OR DELETE ON team_memberships
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER users_notify AFTER UPDATE OF status, role, partner_id ON users
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER partners_notify AFTER UPDATE OF status ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
CREATE TRIGGER apis_notify AFTER UPDATE OF status, slug, current_revision OR DELETE ON apis
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();

-- +goose Down
DROP TRIGGER apis_notify ON apis;
DROP TRIGGER partners_notify ON partners;
DROP TRIGGER users_notify ON users;
DROP TRIGGER team_memberships_notify ON team_memberships;
DROP TRIGGER access_groups_notify ON access_groups;
DROP TRIGGER access_group_apis_notify ON access_group_apis;
DROP TRIGGER grants_notify ON grants;
DROP FUNCTION notify_access_change();
DROP FUNCTION notify_token_change();
ALTER TABLE partners DROP COLUMN require_live_approval;
DROP TABLE portal_settings;
DROP TABLE tokens;
