-- +goose Up
-- The token lists in pages (issue 12): each status filter of a partner's
-- and of a user's tokens reads its rows in list order (created_at DESC,
-- id DESC) from an index and continues after the last row of the previous
-- page, so a page costs its own rows and never sorts a whole partner.
-- Console tokens are never listed, so no list index holds them.
--
-- Open and expired tokens (not revoked) share one index; expires_at is its
-- last key so "expires_at > now()" (open) and "<= now()" (expired) are
-- checked on the index entries, without visiting the rows they skip.
-- Tokens waiting for approval use tokens_partner_pending (00017).
CREATE INDEX tokens_partner_open ON tokens (partner_id, created_at DESC, id DESC, expires_at)
    WHERE revoked_at IS NULL AND NOT console;
CREATE INDEX tokens_partner_revoked ON tokens (partner_id, created_at DESC, id DESC)
    WHERE revoked_at IS NOT NULL AND NOT console;
CREATE INDEX tokens_partner_list ON tokens (partner_id, created_at DESC, id DESC)
    WHERE NOT console;
-- A user's own list: the same for open and expired; revoked and all from
-- the list index, revoked_at checked on its entries; pending from its own
-- (small) index, as the partner's.
CREATE INDEX tokens_user_open ON tokens (user_id, created_at DESC, id DESC, expires_at)
    WHERE revoked_at IS NULL AND NOT console;
CREATE INDEX tokens_user_pending ON tokens (user_id, created_at DESC, id DESC)
    WHERE pending AND revoked_at IS NULL AND NOT console;
CREATE INDEX tokens_user_list ON tokens (user_id, created_at DESC, id DESC, revoked_at)
    WHERE NOT console;

-- +goose Down
DROP INDEX tokens_user_list;
DROP INDEX tokens_user_pending;
DROP INDEX tokens_user_open;
DROP INDEX tokens_partner_list;
DROP INDEX tokens_partner_revoked;
DROP INDEX tokens_partner_open;
