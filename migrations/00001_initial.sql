-- +goose Up
-- The first schema: partners, users (staff or partner), teams and their
-- memberships, and server-side sessions.

CREATE TABLE partners (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$'),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- A user is provider staff (platform admin, account manager: no partner) or
-- belongs to exactly one partner (partner admin, developer).
CREATE TABLE users (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email            text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name             text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    role             text NOT NULL CHECK (role IN ('admin', 'account_manager', 'partner_admin', 'developer')),
    partner_id       bigint REFERENCES partners (id) ON DELETE RESTRICT,
    password_hash    text,
    status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
    last_sign_in_at  timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_staff_have_no_partner CHECK (
        (role IN ('admin', 'account_manager') AND partner_id IS NULL) OR
        (role IN ('partner_admin', 'developer') AND partner_id IS NOT NULL)
    )
);
-- Removed members keep their row (the audit trail keeps their name) but free
-- their email for a later invitation.
CREATE UNIQUE INDEX users_email_active ON users (email) WHERE status = 'active';
CREATE INDEX users_partner ON users (partner_id) WHERE partner_id IS NOT NULL;

CREATE TABLE teams (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX teams_partner_name ON teams (partner_id, lower(name));

CREATE TABLE team_memberships (
    team_id     bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_memberships_user ON team_memberships (user_id);

-- Server-side sessions: the cookie holds a random id, the row holds the
-- state, so deleting rows ends sessions everywhere at once. id is the
-- SHA-256 of the cookie value, so a database read does not yield cookies.
CREATE TABLE sessions (
    id            bytea PRIMARY KEY,
    user_id       bigint REFERENCES users (id) ON DELETE CASCADE,
    data          bytea NOT NULL DEFAULT ''::bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX sessions_expires ON sessions (expires_at);

-- +goose Down
DROP TABLE sessions;
DROP TABLE team_memberships;
DROP TABLE teams;
DROP TABLE users;
DROP TABLE partners;
