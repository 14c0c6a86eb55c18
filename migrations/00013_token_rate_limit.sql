-- +goose Up
-- A personal access token may carry its own requests-per-minute limit,
-- lower than its partner's access-group limits, so one script cannot use
-- up what the whole organisation is allowed. NULL: only the partner's
-- limits apply. The gateway counts it per token, across every API.
ALTER TABLE tokens ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0);

-- Credential caches hold the limit with the token: drop it there when it
-- changes, as for the columns of tokens_notify (migration 00008).
CREATE TRIGGER tokens_limit_notify AFTER UPDATE OF rate_limit_per_minute ON tokens
    FOR EACH ROW EXECUTE FUNCTION notify_token_change();

-- +goose Down
DROP TRIGGER tokens_limit_notify ON tokens;
ALTER TABLE tokens DROP COLUMN rate_limit_per_minute;
