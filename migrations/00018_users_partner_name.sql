-- +goose Up
-- The members list in pages: the keyset (lower(name), id) of a partner's
-- active users read in order from an index, so a page costs its own rows
-- and not a sort of the whole partner (issue 12).
CREATE INDEX users_partner_name ON users (partner_id, lower(name), id) WHERE status = 'active';

-- +goose Down
DROP INDEX users_partner_name;
