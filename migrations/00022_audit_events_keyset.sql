-- +goose Up
-- The audit trail in pages (issue 13), newest first by (at, id): each way
-- the trail is read has an index in that order, so a page reads its own
-- rows and not a sort of a million events. A partner's trail, the whole
-- trail (staff), one person's actions, what was done to one target (a
-- developer's tokens), and the events of one request id (the id every
-- error page tells a user to quote).
DROP INDEX audit_events_partner;
DROP INDEX audit_events_at;
CREATE INDEX audit_events_partner ON audit_events (partner_id, at DESC, id DESC);
CREATE INDEX audit_events_at ON audit_events (at DESC, id DESC);
CREATE INDEX audit_events_actor ON audit_events (actor_id, at DESC, id DESC);
CREATE INDEX audit_events_target ON audit_events (target_type, target_id, at DESC, id DESC);
CREATE INDEX audit_events_request ON audit_events (request_id) WHERE request_id <> '';

-- +goose Down
DROP INDEX audit_events_request;
DROP INDEX audit_events_target;
DROP INDEX audit_events_actor;
DROP INDEX audit_events_at;
DROP INDEX audit_events_partner;
CREATE INDEX audit_events_partner ON audit_events (partner_id, at DESC);
CREATE INDEX audit_events_at ON audit_events (at DESC);
