-- +goose Up
-- Console tokens: the short-lived sandbox tokens the "Try it" console of an
-- API's documentation page mints for the signed-in developer (15 minutes,
-- exactly their granted scopes of that API). They are ordinary token rows,
-- so the gateway verifies, limits and audits them like any other, but the
-- token lists leave them out: nobody manages them by hand.
ALTER TABLE tokens ADD COLUMN console boolean NOT NULL DEFAULT false;
-- Minting counts a user's recent console tokens (at most 30 an hour) and
-- replaces the open one of the same API.
CREATE INDEX tokens_console ON tokens (user_id, created_at) WHERE console;

-- +goose Down
DROP INDEX tokens_console;
ALTER TABLE tokens DROP COLUMN console;
