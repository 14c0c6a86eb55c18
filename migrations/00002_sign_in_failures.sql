-- +goose Up
-- Failed sign-ins, to slow down guessing per account and per IP address
-- across every node. Kept briefly: rows older than a day are pruned.
CREATE TABLE sign_in_failures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL,
    ip          text NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, failed_at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, failed_at);

-- +goose Down
DROP TABLE sign_in_failures;
