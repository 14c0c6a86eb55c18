-- +goose Up
-- The audit trail by kind of action (issue 13): each distinct action is
-- read newest first from its own range of these indexes, for the whole
-- trail and for one partner's, instead of filtering every event row by
-- row (a rare kind read the whole million).
CREATE INDEX audit_events_action ON audit_events (action, at DESC, id DESC);
CREATE INDEX audit_events_partner_action ON audit_events (partner_id, action, at DESC, id DESC);

-- +goose Down
DROP INDEX audit_events_partner_action;
DROP INDEX audit_events_action;
