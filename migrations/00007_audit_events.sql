-- +goose Up
-- The audit trail of what people do in the portal (API calls get their own,
-- partitioned table with the gateway). Actor and target names are copied
-- in, so the trail keeps them after a user is removed or a team deleted.
-- details never holds a secret: credentials appear only by their hint.
CREATE TABLE audit_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    actor        text NOT NULL DEFAULT '',
    partner_id   bigint REFERENCES partners (id) ON DELETE SET NULL,
    action       text NOT NULL,
    target_type  text NOT NULL DEFAULT '',
    target_id    bigint,
    target       text NOT NULL DEFAULT '',
    details      jsonb NOT NULL DEFAULT '{}',
    ip           inet,
    request_id   text NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_partner ON audit_events (partner_id, at DESC);
CREATE INDEX audit_events_at ON audit_events (at DESC);

-- +goose Down
DROP TABLE audit_events;
