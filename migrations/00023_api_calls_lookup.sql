-- +goose Up
-- The audit trail's API calls (issue 13): the id every error body tells a
-- caller to quote finds its call, and the whole trail (platform admins,
-- account managers) reads newest first from an index instead of sorting
-- days of calls. Both are created on every partition, present and future.
-- The gateway writes in batches (COPY), so two more index entries per row
-- cost the writer little; the developer's trail reads api_calls_token_at.
CREATE INDEX api_calls_request ON api_calls (request_id);
CREATE INDEX api_calls_at ON api_calls (at);

-- +goose Down
DROP INDEX api_calls_at;
DROP INDEX api_calls_request;
