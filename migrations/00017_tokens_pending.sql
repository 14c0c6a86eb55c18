-- +goose Up
-- The tokens waiting for a partner admin's approval, found without
-- reading the partner's other tokens: the list of pending tokens (and its
-- count in the filter) costs what it returns (issue 12).
CREATE INDEX tokens_partner_pending ON tokens (partner_id, created_at DESC, id DESC)
    WHERE pending AND revoked_at IS NULL AND NOT console;

-- +goose Down
DROP INDEX tokens_partner_pending;
