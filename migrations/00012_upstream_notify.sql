-- +goose Up
-- Gateways cache each API's upstream URL: tell them when it changes, as
-- for status and revision changes (migration 00008).
CREATE TRIGGER apis_upstream_notify AFTER UPDATE OF upstream_url ON apis
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();

-- +goose Down
DROP TRIGGER apis_upstream_notify ON apis;
