-- +goose Up
-- Each API bounds the request bodies the gateway reads for it (issue 11):
-- 1 MiB unless staff set another, between 1 KiB and 64 MiB. The spec's own
-- maxLengths are no limit: the gateway enforces this one while reading.
ALTER TABLE apis ADD COLUMN max_body_bytes bigint NOT NULL DEFAULT 1048576
    CHECK (max_body_bytes BETWEEN 1024 AND 67108864);

-- Gateways cache the limit with the API's routes: tell them when it
-- changes, as for the upstream URL (migration 00012).
CREATE TRIGGER apis_body_limit_notify AFTER UPDATE OF max_body_bytes ON apis
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();

-- +goose Down
DROP TRIGGER apis_body_limit_notify ON apis;
ALTER TABLE apis DROP COLUMN max_body_bytes;
