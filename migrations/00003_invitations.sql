-- +goose Up
-- Invitations to join a partner. The link's token is stored only as its
-- keyed hash; resending replaces the token and the expiry on the same row.
CREATE TABLE invitations (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id        bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    email             text NOT NULL CHECK (email = lower(email) AND email LIKE '%_@_%'),
    role              text NOT NULL CHECK (role IN ('partner_admin', 'developer')),
    token_hash        bytea NOT NULL UNIQUE,
    invited_by        bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    sent_at           timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    accepted_at       timestamptz,
    accepted_user_id  bigint REFERENCES users (id) ON DELETE SET NULL,
    cancelled_at      timestamptz
);
-- At most one open invitation per email and partner.
CREATE UNIQUE INDEX invitations_open ON invitations (partner_id, email)
    WHERE accepted_at IS NULL AND cancelled_at IS NULL;

-- +goose Down
DROP TABLE invitations;
