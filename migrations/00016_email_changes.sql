-- +goose Up
-- Pending changes of a user's sign-in email (issue 11, finding 4: same
-- class). The new address is used only once its owner opens the link
-- mailed to it; only the keyed hash of the link's token is stored. A
-- request for an address that already has an account gets a row too, with
-- the hash of a token that was never sent, so the requester sees the same
-- pending change either way and nobody can confirm it. At most one change
-- per user is open (neither confirmed nor cancelled): a new request
-- cancels the old one.
CREATE TABLE email_changes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    new_email    text NOT NULL CHECK (new_email = lower(new_email) AND new_email LIKE '%_@_%'),
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    confirmed_at timestamptz,
    cancelled_at timestamptz,
    CHECK (confirmed_at IS NULL OR cancelled_at IS NULL)
);
CREATE UNIQUE INDEX email_changes_open ON email_changes (user_id)
    WHERE confirmed_at IS NULL AND cancelled_at IS NULL;

-- +goose Down
DROP TABLE email_changes;
