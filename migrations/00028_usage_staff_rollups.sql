-- +goose Up
-- Two narrow daily rollups for the provider's staff, who read every
-- partner at once (issue 13). api_usage_days holds a row per partner, API,
-- operation and environment a day: a provider's 50 partners calling their
-- APIs every day make 60 000 rows a month, about 150 ms to sum for each of
-- an account manager's charts and tables. These hold only what the staff
-- views group by, a few hundred rows a day:
--
--   api_usage_partner_days    per UTC day, partner, API and environment:
--                             the top consumers, each partner's quota use
--                             and error rate, and the calls without a
--                             credential (partner 0);
--   api_usage_operation_days  per UTC day, API, operation and
--                             environment, every partner's calls together:
--                             the charts, the APIs and the operations.
--
-- Same counts as the other rollups (00026); written by the calls writer in
-- the batch's transaction, deleted by retention with them.
CREATE TABLE api_usage_partner_days (
    day              timestamptz NOT NULL,
    partner_id       bigint NOT NULL,
    api              text NOT NULL,
    environment      text NOT NULL,
    calls            bigint NOT NULL,
    c4xx             bigint NOT NULL,
    c5xx             bigint NOT NULL,
    c401             bigint NOT NULL,
    c403             bigint NOT NULL,
    c429             bigint NOT NULL,
    latency_sum_us   bigint NOT NULL,
    -- b1 … b16: the latency histogram, a column per bucket (summing
    -- columns is several times cheaper than summing array elements).
    b1 bigint NOT NULL,
    b2 bigint NOT NULL,
    b3 bigint NOT NULL,
    b4 bigint NOT NULL,
    b5 bigint NOT NULL,
    b6 bigint NOT NULL,
    b7 bigint NOT NULL,
    b8 bigint NOT NULL,
    b9 bigint NOT NULL,
    b10 bigint NOT NULL,
    b11 bigint NOT NULL,
    b12 bigint NOT NULL,
    b13 bigint NOT NULL,
    b14 bigint NOT NULL,
    b15 bigint NOT NULL,
    b16 bigint NOT NULL,
    PRIMARY KEY (day, partner_id, api, environment)
);

CREATE TABLE api_usage_operation_days (
    day              timestamptz NOT NULL,
    api              text NOT NULL,
    operation        text NOT NULL,
    environment      text NOT NULL,
    calls            bigint NOT NULL,
    c4xx             bigint NOT NULL,
    c5xx             bigint NOT NULL,
    c401             bigint NOT NULL,
    c403             bigint NOT NULL,
    c429             bigint NOT NULL,
    latency_sum_us   bigint NOT NULL,
    -- b1 … b16: the latency histogram, a column per bucket (summing
    -- columns is several times cheaper than summing array elements).
    b1 bigint NOT NULL,
    b2 bigint NOT NULL,
    b3 bigint NOT NULL,
    b4 bigint NOT NULL,
    b5 bigint NOT NULL,
    b6 bigint NOT NULL,
    b7 bigint NOT NULL,
    b8 bigint NOT NULL,
    b9 bigint NOT NULL,
    b10 bigint NOT NULL,
    b11 bigint NOT NULL,
    b12 bigint NOT NULL,
    b13 bigint NOT NULL,
    b14 bigint NOT NULL,
    b15 bigint NOT NULL,
    b16 bigint NOT NULL,
    PRIMARY KEY (day, api, operation, environment)
);

-- Backfill from api_usage_days. Calls without a credential (partner 0)
-- are nobody's usage: the operations rollup leaves them out too.
INSERT INTO api_usage_partner_days (day, partner_id, api, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
    b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
SELECT d.day, d.partner_id, d.api, d.environment, sum(d.calls), sum(d.c4xx), sum(d.c5xx), sum(d.c401), sum(d.c403), sum(d.c429),
    sum(d.latency_sum_us),
    sum(d.b1), sum(d.b2), sum(d.b3), sum(d.b4),
        sum(d.b5), sum(d.b6), sum(d.b7), sum(d.b8),
        sum(d.b9), sum(d.b10), sum(d.b11), sum(d.b12),
        sum(d.b13), sum(d.b14), sum(d.b15), sum(d.b16)
FROM api_usage_days d
GROUP BY 1, 2, 3, 4;

INSERT INTO api_usage_operation_days (day, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
    b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
SELECT d.day, d.api, d.operation, d.environment, sum(d.calls), sum(d.c4xx), sum(d.c5xx), sum(d.c401), sum(d.c403), sum(d.c429),
    sum(d.latency_sum_us),
    sum(d.b1), sum(d.b2), sum(d.b3), sum(d.b4),
        sum(d.b5), sum(d.b6), sum(d.b7), sum(d.b8),
        sum(d.b9), sum(d.b10), sum(d.b11), sum(d.b12),
        sum(d.b13), sum(d.b14), sum(d.b15), sum(d.b16)
FROM api_usage_days d WHERE d.partner_id <> 0
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE api_usage_operation_days;
DROP TABLE api_usage_partner_days;
