-- +goose Up
-- The API catalog, access groups and their grants.

CREATE TABLE apis (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$'),
    name              text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deprecated', 'retired')),
    sunset_at         timestamptz,
    upstream_url      text,
    current_revision  integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT apis_deprecated_have_sunset CHECK (status <> 'deprecated' OR sunset_at IS NOT NULL)
);

-- Every imported revision of an API's document is kept, with what changed.
CREATE TABLE api_revisions (
    api_id       bigint NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    revision     integer NOT NULL CHECK (revision > 0),
    version      text NOT NULL,
    spec         bytea NOT NULL,
    operations   jsonb NOT NULL,
    scopes       text[] NOT NULL,
    added        text[] NOT NULL DEFAULT '{}',
    removed      text[] NOT NULL DEFAULT '{}',
    imported_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    imported_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_id, revision)
);

CREATE TABLE access_groups (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                   text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    description            text NOT NULL DEFAULT '',
    rate_limit_per_minute  integer NOT NULL CHECK (rate_limit_per_minute > 0),
    -- NULL: no monthly quota.
    monthly_quota          bigint CHECK (monthly_quota > 0),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX access_groups_name ON access_groups (lower(name));

-- Which APIs a group includes, with which of each API's scopes. An API
-- still included by a group cannot be deleted (RESTRICT).
CREATE TABLE access_group_apis (
    access_group_id  bigint NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    api_id           bigint NOT NULL REFERENCES apis (id) ON DELETE RESTRICT,
    scopes           text[] NOT NULL CHECK (cardinality(scopes) > 0),
    PRIMARY KEY (access_group_id, api_id)
);
CREATE INDEX access_group_apis_api ON access_group_apis (api_id);

-- A grant gives an access group to one team or one developer of a partner.
-- Taking it back sets revoked_at: the row stays for the audit trail.
CREATE TABLE grants (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    access_group_id  bigint NOT NULL REFERENCES access_groups (id) ON DELETE CASCADE,
    partner_id       bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    team_id          bigint REFERENCES teams (id) ON DELETE CASCADE,
    user_id          bigint REFERENCES users (id) ON DELETE CASCADE,
    granted_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    granted_at       timestamptz NOT NULL DEFAULT now(),
    revoked_by       bigint REFERENCES users (id) ON DELETE SET NULL,
    revoked_at       timestamptz,
    CONSTRAINT grants_one_grantee CHECK ((team_id IS NULL) <> (user_id IS NULL))
);
CREATE UNIQUE INDEX grants_open_team ON grants (access_group_id, team_id) WHERE revoked_at IS NULL AND team_id IS NOT NULL;
CREATE UNIQUE INDEX grants_open_user ON grants (access_group_id, user_id) WHERE revoked_at IS NULL AND user_id IS NOT NULL;
CREATE INDEX grants_partner ON grants (partner_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE grants;
DROP TABLE access_group_apis;
DROP TABLE access_groups;
DROP TABLE api_revisions;
DROP TABLE apis;
