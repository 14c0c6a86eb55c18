-- +goose Up
-- A partner's own ceiling on requests per minute across all its access
-- groups' APIs, set by its account manager (issue 17): NULL is none (only
-- the groups' and the tokens' own limits apply). The gateway counts it per
-- partner, beside each group's limit.
ALTER TABLE partners ADD COLUMN rate_limit_per_minute integer CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000);

-- Credential caches hold the ceiling with each of the partner's tokens:
-- a change names the partner ('partner:ID'), so every node forgets that
-- partner's entries only (a node that does not know the payload forgets
-- everything, which is also correct). Only a real change notifies.
-- +goose StatementBegin
CREATE FUNCTION notify_partner_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('portico_credentials', 'partner:' || NEW.id);
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER partners_limit_notify AFTER UPDATE OF rate_limit_per_minute ON partners
    FOR EACH ROW WHEN (OLD.rate_limit_per_minute IS DISTINCT FROM NEW.rate_limit_per_minute)
    EXECUTE FUNCTION notify_partner_change();

-- +goose Down
DROP TRIGGER partners_limit_notify ON partners;
DROP FUNCTION notify_partner_change();
ALTER TABLE partners DROP COLUMN rate_limit_per_minute;
