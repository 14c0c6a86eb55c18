-- +goose Up
-- The remaining lists in pages (issue 12): each keyset order read from an
-- index, so a page costs its own rows and not a sort of the whole set.

-- /partners, by (lower(name), id), all statuses or one.
CREATE INDEX partners_name ON partners (lower(name), id);
CREATE INDEX partners_status_name ON partners (status, lower(name), id);

-- /staff: admins first, then by name.
CREATE INDEX users_staff_name ON users ((role <> 'admin'), lower(name), id)
    WHERE role IN ('admin', 'account_manager') AND status = 'active';

-- Open invitations of a partner, newest first (/members, /api/v1/invitations).
CREATE INDEX invitations_open_newest ON invitations (partner_id, created_at DESC, id DESC)
    WHERE accepted_at IS NULL AND cancelled_at IS NULL;

-- The catalog by (lower(name), id), and access groups likewise.
CREATE INDEX apis_name ON apis (lower(name), id);
CREATE INDEX access_groups_name_id ON access_groups (lower(name), id);

-- Open grants of a partner by group, then grant (/api/v1/grants). (The
-- access groups list counts each group's open grants from grants_open_team
-- and grants_open_user, which exist.)
CREATE INDEX grants_partner_open_group ON grants (partner_id, access_group_id, id) WHERE revoked_at IS NULL;

-- +goose Down
DROP INDEX grants_partner_open_group;
DROP INDEX access_groups_name_id;
DROP INDEX apis_name;
DROP INDEX invitations_open_newest;
DROP INDEX users_staff_name;
DROP INDEX partners_status_name;
DROP INDEX partners_name;
