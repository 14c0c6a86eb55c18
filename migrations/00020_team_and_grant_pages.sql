-- +goose Up
-- The team and access-group pages in pages (issue 12): a group's open
-- grants newest first and its revoked ones most recently revoked first,
-- each read in order from an index, so a page of grants costs its own rows.
-- (Teams are read by (partner_id, lower(name)) from teams_partner_name,
-- unique, so the id after the name breaks no tie; a team's members are
-- read through the membership's primary key and sorted: a team's size.)
CREATE INDEX grants_group_open ON grants (access_group_id, granted_at DESC, id DESC) WHERE revoked_at IS NULL;
CREATE INDEX grants_group_revoked ON grants (access_group_id, revoked_at DESC, id DESC) WHERE revoked_at IS NOT NULL;

-- +goose Down
DROP INDEX grants_group_revoked;
DROP INDEX grants_group_open;
