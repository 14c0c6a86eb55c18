-- +goose Up
-- What the verifier notices about credentials, written in batches (never
-- per call) for the alert rules (issue 16).

-- The networks (an IPv4 /24, an IPv6 /48) each credential was used from:
-- a use from a network not seen before raises an alert.
CREATE TABLE token_networks (
    token_id    bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    network     cidr NOT NULL,
    first_seen  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    PRIMARY KEY (token_id, network)
);
CREATE INDEX token_networks_first_seen ON token_networks (first_seen);
-- Retention forgets networks not seen for 180 days.
CREATE INDEX token_networks_last_seen ON token_networks (last_seen);

-- Presentations of a known credential that was refused, per hour: a
-- revoked or expired one (an integration someone forgot), or one sent to
-- the other environment.
CREATE TABLE credential_refusals (
    hour      timestamptz NOT NULL,
    token_id  bigint NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
    reason    text NOT NULL CHECK (reason IN ('revoked', 'expired', 'wrong_environment')),
    count     bigint NOT NULL CHECK (count > 0),
    PRIMARY KEY (hour, token_id, reason)
);
-- The rules read the last hour; retention keeps 30 days.

-- +goose Down
DROP TABLE credential_refusals;
DROP TABLE token_networks;
