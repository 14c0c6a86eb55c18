-- +goose NO TRANSACTION
-- +goose Up
-- The credential hygiene counts and "needs attention" page (issue 16) read
-- a partner's flagged credentials from these, in proportion to how many
-- are flagged rather than to how many the partner has. Built concurrently:
-- tokens is written by every sign-in page and gateway flush.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tokens_hygiene_never_used ON tokens (partner_id, created_at)
    WHERE last_used_at IS NULL AND revoked_at IS NULL AND NOT console;
CREATE INDEX CONCURRENTLY IF NOT EXISTS tokens_hygiene_last_used ON tokens (partner_id, last_used_at)
    WHERE revoked_at IS NULL AND NOT console;
CREATE INDEX CONCURRENTLY IF NOT EXISTS tokens_hygiene_expires ON tokens (partner_id, expires_at)
    WHERE revoked_at IS NULL AND NOT console;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_expires;
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_last_used;
DROP INDEX CONCURRENTLY IF EXISTS tokens_hygiene_never_used;
