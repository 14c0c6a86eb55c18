-- +goose NO TRANSACTION
-- +goose Up
-- The credential hygiene counts and "needs attention" page (issue 16) read
-- a partner's flagged credentials from these, in proportion to how many
-- are flagged rather than to how many the partner has. Built concurrently:
-- tokens is written by every sign-in page and gateway flush. Each is
-- dropped first: a concurrent build that failed leaves an invalid index
-- behind, which IF NOT EXISTS would keep.
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_never_used;
CREATE INDEX CONCURRENTLY tokens_hygiene_never_used ON tokens (partner_id, created_at)
    WHERE last_used_at IS NULL AND revoked_at IS NULL AND NOT console;
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_last_used;
CREATE INDEX CONCURRENTLY tokens_hygiene_last_used ON tokens (partner_id, last_used_at)
    WHERE revoked_at IS NULL AND NOT console;
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_expires;
CREATE INDEX CONCURRENTLY tokens_hygiene_expires ON tokens (partner_id, expires_at)
    WHERE revoked_at IS NULL AND NOT console;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_expires;
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_last_used;
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_never_used;
