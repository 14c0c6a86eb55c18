-- +goose Up
-- OAuth 2.0 clients for partner machines (issue 14). A client is a row of
-- tokens with a public client_id: its secret (ptc_cs_…) is the row's hash,
-- so it is listed, approved, rotated with a grace period and revoked
-- exactly like a personal access token, and the calls of its access tokens
-- count against it in the usage and audit pages. NULL client_id: a PAT.
ALTER TABLE tokens
    ADD COLUMN client_id text UNIQUE CHECK (client_id ~ '^pcl_[0-9A-Za-z]{22}$'),
    -- allowed_networks: the source networks a credential may be used from;
    -- empty is anywhere. Checked at the token endpoint and by the gateway.
    ADD COLUMN allowed_networks cidr[] NOT NULL DEFAULT '{}' CHECK (cardinality(allowed_networks) <= 20);

CREATE TRIGGER tokens_networks_notify AFTER UPDATE OF allowed_networks ON tokens
    FOR EACH ROW EXECUTE FUNCTION notify_token_change();

-- The partner's OAuth clients, for the token list's filter.
CREATE INDEX tokens_partner_clients ON tokens (partner_id, created_at DESC, id DESC)
    WHERE client_id IS NOT NULL;

-- Credentials of resource servers: the provider's own services (or an
-- existing gateway) that introspect and revoke access tokens (RFC 7662,
-- RFC 7009). Issued by platform admins; the secret (ptc_srv_…) is stored
-- as its HMAC only.
CREATE TABLE resource_servers (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    client_id    text NOT NULL UNIQUE CHECK (client_id ~ '^prs_[0-9A-Za-z]{22}$'),
    hash         bytea NOT NULL UNIQUE,
    hint         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    revoked_at   timestamptz,
    revoked_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    last_used_at timestamptz
);

-- Access tokens (ptc_at_…) issued to clients by POST /oauth/token: only
-- their HMAC is stored. scopes is what the request asked for within the
-- client's scopes; the gateway intersects it with the client's scopes and
-- the owner's grants at use time. Revoking the client (its tokens row)
-- ends them all, since verification joins it.
CREATE TABLE oauth_access_tokens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_token_id bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    hash            bytea NOT NULL UNIQUE,
    scopes          text[] NOT NULL CHECK (cardinality(scopes) > 0),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    -- who revoked it through /oauth/revoke: a resource server, or the
    -- client itself (both NULL).
    revoked_by_server bigint REFERENCES resource_servers (id) ON DELETE SET NULL
);
CREATE INDEX oauth_access_tokens_client ON oauth_access_tokens (client_token_id, expires_at DESC);
-- Retention prunes expired access tokens by this index.
CREATE INDEX oauth_access_tokens_expires ON oauth_access_tokens (expires_at);

-- A revoked access token leaves every node's credential cache: the
-- payload names its client's token row, whose cache entries are dropped.
-- +goose StatementBegin
CREATE FUNCTION notify_access_token_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portico_credentials', 'token:' || NEW.client_token_id);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER oauth_access_tokens_notify AFTER UPDATE OF revoked_at ON oauth_access_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_access_token_change();

-- How long access tokens live (minutes), a portal-wide setting; and
-- whether a partner's developers may register clients for themselves
-- (partner admins always may).
ALTER TABLE portal_settings ADD COLUMN access_token_minutes int NOT NULL DEFAULT 15
    CHECK (access_token_minutes BETWEEN 1 AND 1440);
ALTER TABLE partners ADD COLUMN developer_clients boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE partners DROP COLUMN developer_clients;
ALTER TABLE portal_settings DROP COLUMN access_token_minutes;
DROP TABLE oauth_access_tokens;
DROP FUNCTION notify_access_token_change();
DROP TABLE resource_servers;
DROP INDEX tokens_partner_clients;
DROP TRIGGER tokens_networks_notify ON tokens;
ALTER TABLE tokens DROP COLUMN allowed_networks, DROP COLUMN client_id;
