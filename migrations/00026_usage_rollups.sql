-- +goose Up
-- Usage rollups the dashboards read (issue 13). Summing api_usage_minutes
-- cost a big partner's 30 days about 1 s and every partner's about 3 s, so
-- the calls writer now also adds each batch, in the same transaction, to
-- three coarser rollups, each shaped for the questions it answers:
--
--   api_usage_hours       per hour, partner, token, API, operation and
--                         environment: every chart and table of the last
--                         24 hours, and one token's (or one developer's
--                         tokens') calls over any range;
--   api_usage_days        per UTC day, partner, API, operation and
--                         environment, without the token: the 7 and 30 day
--                         charts, the API and partner tables, the quotas
--                         and the account managers' lists;
--   api_usage_token_days  per UTC day, partner, token and API: the token
--                         and member tables over days.
--
-- The status class is not part of the key: each row counts its calls, the
-- 4xx and 5xx among them, and 401, 403 and 429 by name (the refusals a
-- partner acts on). b1 … b16 are the latency histogram of
-- api_usage_minutes (calls.LatencyBuckets), a column per bucket.
-- partner_id and token_id are 0 for calls without a credential;
-- api_usage_token_days has no such rows.
-- Retention deletes them with the per-minute rollups.
CREATE TABLE api_usage_hours (
    hour             timestamptz NOT NULL,
    partner_id       bigint NOT NULL,
    token_id         bigint NOT NULL,
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
    PRIMARY KEY (partner_id, hour, token_id, api, operation, environment)
);
CREATE INDEX api_usage_hours_token ON api_usage_hours (token_id, hour) WHERE token_id <> 0;
CREATE INDEX api_usage_hours_hour ON api_usage_hours (hour);

CREATE TABLE api_usage_days (
    day              timestamptz NOT NULL,
    partner_id       bigint NOT NULL,
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
    PRIMARY KEY (partner_id, day, api, operation, environment)
);
CREATE INDEX api_usage_days_day ON api_usage_days (day);

CREATE TABLE api_usage_token_days (
    day              timestamptz NOT NULL,
    partner_id       bigint NOT NULL,
    token_id         bigint NOT NULL CHECK (token_id <> 0),
    api              text NOT NULL,
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
    PRIMARY KEY (partner_id, day, token_id, api)
);
CREATE INDEX api_usage_token_days_token ON api_usage_token_days (token_id, day);
-- Retention deletes the oldest days first.
CREATE INDEX api_usage_token_days_day ON api_usage_token_days (day);

-- Backfill from the per-minute rollup, which knows neither the
-- environment of a call without a credential ('' here) nor the status
-- beyond its class (401, 403 and 429 count from here on).
INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
    b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
SELECT date_trunc('hour', u.minute, 'UTC'), u.partner_id, u.token_id, u.api, u.operation, coalesce(t.environment, ''),
    sum(u.count), coalesce(sum(u.count) FILTER (WHERE u.status_class = 4), 0), coalesce(sum(u.count) FILTER (WHERE u.status_class = 5), 0),
    0, 0, 0, sum(u.latency_sum_us),
    sum(u.latency_buckets[1]), sum(u.latency_buckets[2]), sum(u.latency_buckets[3]), sum(u.latency_buckets[4]),
        sum(u.latency_buckets[5]), sum(u.latency_buckets[6]), sum(u.latency_buckets[7]), sum(u.latency_buckets[8]),
        sum(u.latency_buckets[9]), sum(u.latency_buckets[10]), sum(u.latency_buckets[11]), sum(u.latency_buckets[12]),
        sum(u.latency_buckets[13]), sum(u.latency_buckets[14]), sum(u.latency_buckets[15]), sum(u.latency_buckets[16])
FROM api_usage_minutes u LEFT JOIN tokens t ON t.id = u.token_id AND u.token_id <> 0
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO api_usage_days (day, partner_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
    b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
SELECT date_trunc('day', h.hour, 'UTC'), h.partner_id, h.api, h.operation, h.environment,
    sum(h.calls), sum(h.c4xx), sum(h.c5xx), 0, 0, 0, sum(h.latency_sum_us),
    sum(h.b1), sum(h.b2), sum(h.b3), sum(h.b4),
        sum(h.b5), sum(h.b6), sum(h.b7), sum(h.b8),
        sum(h.b9), sum(h.b10), sum(h.b11), sum(h.b12),
        sum(h.b13), sum(h.b14), sum(h.b15), sum(h.b16)
FROM api_usage_hours h
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO api_usage_token_days (day, partner_id, token_id, api, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
    b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
SELECT date_trunc('day', h.hour, 'UTC'), h.partner_id, h.token_id, h.api,
    sum(h.calls), sum(h.c4xx), sum(h.c5xx), 0, 0, 0, sum(h.latency_sum_us),
    sum(h.b1), sum(h.b2), sum(h.b3), sum(h.b4),
        sum(h.b5), sum(h.b6), sum(h.b7), sum(h.b8),
        sum(h.b9), sum(h.b10), sum(h.b11), sum(h.b12),
        sum(h.b13), sum(h.b14), sum(h.b15), sum(h.b16)
FROM api_usage_hours h WHERE h.token_id <> 0
GROUP BY 1, 2, 3, 4;

-- +goose Down
DROP TABLE api_usage_token_days;
DROP TABLE api_usage_days;
DROP TABLE api_usage_hours;
