-- +goose Up
-- A partnership ends (issue 17): active -> suspended (reversible) -> ended
-- (final: every credential, session, invitation and grant gone at once;
-- the audit trail and usage kept). ended_by is NULL when the scheduled
-- end acted. end_on is the day a scheduled end takes effect (UTC).
ALTER TABLE partners DROP CONSTRAINT partners_status_check;
ALTER TABLE partners ADD CONSTRAINT partners_status_check CHECK (status IN ('active', 'suspended', 'ended'));
ALTER TABLE partners
    ADD COLUMN ended_at timestamptz,
    ADD COLUMN ended_by bigint REFERENCES users (id) ON DELETE SET NULL,
    ADD COLUMN end_on   date,
    ADD CONSTRAINT partners_ended_at CHECK ((status = 'ended') = (ended_at IS NOT NULL));
-- The scheduled job finds the partners due by this index.
CREATE INDEX partners_end_on ON partners (end_on) WHERE end_on IS NOT NULL AND status <> 'ended';

-- The reminders of a scheduled end that were sent (30 and 7 days before),
-- one row each, written in the transaction that queues the mails: a job
-- run twice sends each once, and a moved date gets reminders of its own.
CREATE TABLE partner_end_reminders (
    partner_id   bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    end_on       date NOT NULL,
    days_before  integer NOT NULL CHECK (days_before > 0),
    sent_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, end_on, days_before)
);

-- +goose Down
DROP TABLE partner_end_reminders;
DROP INDEX partners_end_on;
ALTER TABLE partners DROP CONSTRAINT partners_ended_at;
ALTER TABLE partners DROP COLUMN end_on, DROP COLUMN ended_by, DROP COLUMN ended_at;
ALTER TABLE partners DROP CONSTRAINT partners_status_check;
ALTER TABLE partners ADD CONSTRAINT partners_status_check CHECK (status IN ('active', 'suspended'));
