-- +goose Up
-- Signed webhooks (issue 20). An endpoint belongs to a partner (its
-- partner admins manage it; it receives that partner's events only) or,
-- partner_id NULL, to the staff member who registered it: for one partner
-- of theirs (scope_partner_id) or for every partner they manage (a
-- platform admin: every partner), decided when each event is enqueued.
CREATE TABLE webhook_endpoints (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id             bigint REFERENCES partners (id) ON DELETE CASCADE,
    owner_id               bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    scope_partner_id       bigint REFERENCES partners (id) ON DELETE CASCADE,
    url                    text NOT NULL CHECK (url LIKE 'https://%' AND length(url) <= 2000),
    description            text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    event_types            text[] NOT NULL CHECK (cardinality(event_types) BETWEEN 1 AND 50),
    -- The signing secret (whsec_…), AES-256-GCM under a key derived from
    -- the server secret: it must be read back to sign. After a rotation,
    -- the previous one signs beside it until previous_secret_until.
    secret_enc             bytea NOT NULL,
    secret_hint            text NOT NULL,
    previous_secret_enc    bytea,
    previous_secret_until  timestamptz,
    enabled                boolean NOT NULL DEFAULT true,
    disabled_at            timestamptz,
    disabled_reason        text NOT NULL DEFAULT '' CHECK (length(disabled_reason) <= 300),
    -- Set by the first failed delivery after a success; 24 hours later
    -- the endpoint is disabled.
    failing_since          timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now(),
    CHECK (partner_id IS NULL OR scope_partner_id IS NULL)
);
CREATE INDEX webhook_endpoints_partner ON webhook_endpoints (partner_id) WHERE partner_id IS NOT NULL;
CREATE INDEX webhook_endpoints_staff ON webhook_endpoints (owner_id) WHERE partner_id IS NULL;

-- One event, signed and sent as stored (body is the exact JSON sent).
CREATE TABLE webhook_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    msg_id      text NOT NULL UNIQUE,
    partner_id  bigint REFERENCES partners (id) ON DELETE CASCADE,
    type        text NOT NULL CHECK (length(type) <= 60),
    body        text NOT NULL CHECK (length(body) <= 65536),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);

-- One event to one endpoint. Automatic deliveries go out in order per
-- endpoint (the oldest pending one first); manual ones ("send again", a
-- test event) go out at once, once.
CREATE TABLE webhook_deliveries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id      bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         bigint NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    manual           boolean NOT NULL DEFAULT false,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      integer,
    created_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_head ON webhook_deliveries (endpoint_id, id) WHERE state = 'pending' AND NOT manual;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id DESC);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- The delivery log: every attempt, what answered (status, first bytes)
-- and how long it took.
CREATE TABLE webhook_attempts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id   bigint NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id   bigint NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL,
    status        integer,
    response      text NOT NULL DEFAULT '' CHECK (length(response) <= 4096),
    error         text NOT NULL DEFAULT '' CHECK (length(error) <= 500),
    duration_ms   integer NOT NULL
);
CREATE INDEX webhook_attempts_endpoint ON webhook_attempts (endpoint_id, at DESC, id DESC);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_events;
DROP TABLE webhook_endpoints;
