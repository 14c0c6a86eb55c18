-- +goose Up
-- A partner's own longest token lifetime, set by its account manager
-- (issue 17): NULL is the portal's; a value above the portal's is capped
-- by it when tokens are made.
ALTER TABLE partners ADD COLUMN token_max_days integer CHECK (token_max_days BETWEEN 1 AND 3650);

-- +goose Down
ALTER TABLE partners DROP COLUMN token_max_days;
