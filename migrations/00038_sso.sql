-- +goose Up
-- Single sign-on with OpenID Connect (issue 19). An identity provider
-- belongs to one partner, or (partner_id NULL) to the provider's staff; at
-- most one of each. Its email domains are globally unique, so the domain
-- of an email picks at most one provider at sign-in, and one partner's
-- provider can never vouch for another partner's addresses.

CREATE TABLE identity_providers (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id         bigint REFERENCES partners (id) ON DELETE CASCADE,
    display_name       text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 100),
    issuer             text NOT NULL CHECK (length(issuer) BETWEEN 8 AND 500),
    client_id          text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 500),
    -- AES-256-GCM under a key derived from the server secret; never shown.
    client_secret_enc  bytea NOT NULL,
    -- The ID token claim that lists the person's groups ('' = none).
    groups_claim       text NOT NULL DEFAULT '' CHECK (length(groups_claim) <= 100),
    -- Enforced: the partner's people sign in only through the provider.
    enforced           boolean NOT NULL DEFAULT false,
    -- Only people in at least one mapped group may sign in.
    require_group      boolean NOT NULL DEFAULT false,
    last_sync_at       timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX identity_providers_partner ON identity_providers (partner_id) WHERE partner_id IS NOT NULL;
CREATE UNIQUE INDEX identity_providers_staff ON identity_providers ((partner_id IS NULL)) WHERE partner_id IS NULL;

CREATE TABLE sso_domains (
    domain       text PRIMARY KEY CHECK (domain = lower(domain) AND length(domain) BETWEEN 3 AND 253
                     AND domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'),
    provider_id  bigint NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE
);
CREATE INDEX sso_domains_provider ON sso_domains (provider_id);

-- A group of the provider's groups claim maps to a team of the partner, or
-- to the partner-admin role.
CREATE TABLE sso_group_mappings (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider_id  bigint NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    idp_group    text NOT NULL CHECK (length(btrim(idp_group)) BETWEEN 1 AND 200),
    team_id      bigint REFERENCES teams (id) ON DELETE CASCADE,
    role         text CHECK (role IN ('partner_admin')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT sso_group_mappings_one_target CHECK ((team_id IS NULL) <> (role IS NULL))
);
CREATE UNIQUE INDEX sso_group_mappings_team ON sso_group_mappings (provider_id, idp_group, team_id) WHERE team_id IS NOT NULL;
CREATE UNIQUE INDEX sso_group_mappings_role ON sso_group_mappings (provider_id, idp_group, role) WHERE role IS NOT NULL;
CREATE INDEX sso_group_mappings_team_id ON sso_group_mappings (team_id) WHERE team_id IS NOT NULL;

-- Who a person is at a provider: the subject the provider vouches for,
-- linked to one user. The refresh token (encrypted like the client secret)
-- lets "sync now" ask the provider whether it still vouches for them.
CREATE TABLE user_identities (
    provider_id        bigint NOT NULL REFERENCES identity_providers (id) ON DELETE CASCADE,
    subject            text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    user_id            bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_token_enc  bytea,
    groups             text[] NOT NULL DEFAULT '{}',
    last_verified_at   timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_id, subject)
);
CREATE UNIQUE INDEX user_identities_user ON user_identities (user_id);

-- +goose Down
DROP TABLE user_identities;
DROP TABLE sso_group_mappings;
DROP TABLE sso_domains;
DROP TABLE identity_providers;
