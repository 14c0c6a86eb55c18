-- +goose Up
-- The email outbox. A mail is inserted in the same transaction as the change
-- that causes it, so it exists exactly when the change committed; a sender
-- delivers it afterwards.
--
-- Life of a row: 'pending' -> claimed as 'sending' with a lease
-- (claimed_until, attempts + 1) -> 'sent', or back to 'pending' with a later
-- next_attempt_at after a failure, or 'failed' when retrying is pointless.
-- A row still 'sending' after its lease ran out belongs to a sender that
-- died: it is claimed again. Delivery is therefore at least once: a sender
-- that dies after the SMTP server accepted a mail and before it recorded
-- 'sent' causes one resend (with the same Message-ID).
CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_email         text NOT NULL CHECK (to_email LIKE '%_@_%'),
    to_name          text NOT NULL DEFAULT '',
    subject          text NOT NULL CHECK (subject <> ''),
    text_body        text NOT NULL,
    html_body        text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    -- attempts counts claims: a delivery attempt that crashed counts too, so
    -- a mail that kills its sender cannot be retried forever.
    attempts         int NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_until    timestamptz,
    sent_at          timestamptz,
    last_error       text,
    CONSTRAINT outbox_sent_has_time CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT outbox_sending_has_lease CHECK (status <> 'sending' OR claimed_until IS NOT NULL)
);
-- What the sender claims: pending mails that are due, and 'sending' rows
-- whose lease ran out (a claim sets next_attempt_at to the lease's end too,
-- so one condition on this index finds both). The staff Outbox page lists
-- newest first by id, through the primary key.
CREATE INDEX outbox_due ON outbox (status, next_attempt_at) WHERE status IN ('pending', 'sending');

-- +goose Down
DROP TABLE outbox;
