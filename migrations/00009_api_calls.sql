-- +goose Up
-- Every call through the gateway (/sandbox, /live): one row per call,
-- written in batches with COPY by internal/calls. The table is partitioned
-- by day (UTC): a day of a busy gateway is millions of rows, so a day keeps
-- each partition's indexes small enough to stay in memory while it is
-- written, and retention is a DROP TABLE of whole days rather than a
-- DELETE. Partitions are created ahead (a week) by
-- api_calls_ensure_partitions, called here and by the writer at start and
-- daily; the default partition catches anything outside them (a clock far
-- off, a missed maintenance), so an insert never fails for lack of a
-- partition, and creating a day's partition later moves that day's rows out
-- of the default one.
--
-- No foreign keys: the trail outlives the tokens and partners it names, and
-- a COPY must not wait on their locks. partner_id and token_id are NULL for
-- calls refused before a credential was known. Usage charts read the
-- api_usage_minutes rollup, not this table.
CREATE TABLE api_calls (
    at           timestamptz NOT NULL,
    partner_id   bigint,
    token_id     bigint,
    api          text NOT NULL,
    -- the spec's operationId, '' when no operation matched.
    operation    text NOT NULL,
    environment  text NOT NULL,
    method       text NOT NULL,
    -- the path without the query string (which may hold secrets).
    path         text NOT NULL,
    status       smallint NOT NULL,
    latency_us   integer NOT NULL,
    client_ip    inet,
    -- at most 512 bytes.
    user_agent   text NOT NULL,
    request_id   text NOT NULL,
    bytes_in     bigint NOT NULL,
    bytes_out    bigint NOT NULL
) PARTITION BY RANGE (at);
CREATE INDEX api_calls_partner_at ON api_calls (partner_id, at);
CREATE INDEX api_calls_token_at ON api_calls (token_id, at);
CREATE TABLE api_calls_default PARTITION OF api_calls DEFAULT;

-- api_calls_ensure_partitions creates the daily partitions (UTC days) of
-- `days` days from from_day that do not exist yet, named
-- api_calls_YYYYMMDD, and returns how many it created. Rows of such a day
-- already in the default partition are moved into the new one. Nodes may
-- call it at once: an advisory lock serialises them. Callers should SET
-- LOCAL lock_timeout: it takes an ACCESS EXCLUSIVE lock on api_calls for
-- the few milliseconds of the creation, and must not queue the writers
-- behind a long report.
-- +goose StatementBegin
CREATE FUNCTION api_calls_ensure_partitions(from_day date, days integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    d        date;
    name     text;
    lo       timestamptz;
    hi       timestamptz;
    created  integer := 0;
    locked   boolean := false;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('api_calls_ensure_partitions'));
    FOR i IN 0 .. days - 1 LOOP
        d := from_day + i;
        name := 'api_calls_' || to_char(d, 'YYYYMMDD');
        CONTINUE WHEN to_regclass(name) IS NOT NULL;
        IF NOT locked THEN
            -- The parent first, as every writer and reader locks it
            -- before its partitions: no deadlock with a COPY in flight.
            LOCK TABLE ONLY api_calls IN ACCESS EXCLUSIVE MODE;
            locked := true;
        END IF;
        lo := d::timestamp AT TIME ZONE 'UTC';
        hi := (d + 1)::timestamp AT TIME ZONE 'UTC';
        IF EXISTS (SELECT 1 FROM api_calls_default WHERE at >= lo AND at < hi) THEN
            EXECUTE format('CREATE TABLE %I (LIKE api_calls INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
            EXECUTE format('WITH moved AS (DELETE FROM api_calls_default WHERE at >= %L AND at < %L RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, name);
            EXECUTE format('ALTER TABLE api_calls ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
        ELSE
            EXECUTE format('CREATE TABLE %I PARTITION OF api_calls FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
        END IF;
        created := created + 1;
    END LOOP;
    RETURN created;
END $$;
-- +goose StatementEnd

SELECT api_calls_ensure_partitions((now() AT TIME ZONE 'UTC')::date - 1, 9);

-- A batch id per committed batch: a batch retried after a commit whose
-- acknowledgement was lost (the connection broke) finds its id and is not
-- written twice. Pruned after two days by the writer.
CREATE TABLE api_call_batches (
    id          uuid PRIMARY KEY,
    written_at  timestamptz NOT NULL DEFAULT now()
);

-- Per-minute usage, upserted additively by the writer in the transaction
-- of the batch it counts. partner_id and token_id are 0 (not NULL, they
-- are part of the key) for calls without a credential. status_class is
-- the status's hundreds digit (2 to 5; 1 for informational answers).
-- latency_buckets holds 16 counts, not cumulative, for latencies up to
-- 250 µs, 500 µs, 1, 2.5, 5, 10, 25, 50, 100, 250, 500 ms, 1, 2.5, 5,
-- 10 s, and above 10 s (calls.LatencyBuckets).
CREATE TABLE api_usage_minutes (
    minute           timestamptz NOT NULL,
    partner_id       bigint NOT NULL,
    token_id         bigint NOT NULL,
    api              text NOT NULL,
    operation        text NOT NULL,
    status_class     smallint NOT NULL CHECK (status_class BETWEEN 1 AND 5),
    count            bigint NOT NULL,
    latency_sum_us   bigint NOT NULL,
    latency_buckets  bigint[] NOT NULL CHECK (cardinality(latency_buckets) = 16),
    PRIMARY KEY (partner_id, minute, token_id, api, operation, status_class)
);
CREATE INDEX api_usage_minutes_token ON api_usage_minutes (token_id, minute) WHERE token_id <> 0;
CREATE INDEX api_usage_minutes_minute ON api_usage_minutes (minute);

-- api_usage_add_buckets adds two histograms element by element.
-- +goose StatementBegin
CREATE FUNCTION api_usage_add_buckets(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY n)
    FROM unnest(a, b) WITH ORDINALITY AS u(x, y, n)
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION api_usage_add_buckets(bigint[], bigint[]);
DROP TABLE api_usage_minutes;
DROP TABLE api_call_batches;
DROP FUNCTION api_calls_ensure_partitions(date, integer);
DROP TABLE api_calls;
