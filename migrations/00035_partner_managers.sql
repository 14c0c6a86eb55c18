-- +goose Up
-- Account managers own a book of partners (issue 17): each partner has one
-- or more account managers, and the policy lets an account manager see and
-- act on their own partners only (platform admins see every partner).
CREATE TABLE partner_managers (
    partner_id   bigint NOT NULL REFERENCES partners (id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    assigned_at  timestamptz NOT NULL DEFAULT now(),
    assigned_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    PRIMARY KEY (partner_id, user_id)
);
-- The book of one account manager: read with every session of theirs and
-- by every list a staff member sees.
CREATE INDEX partner_managers_user ON partner_managers (user_id, partner_id);

-- An existing portal keeps what its account managers could do before the
-- assignment existed: each of them manages every existing partner, and
-- platform admins narrow the books from there.
INSERT INTO partner_managers (partner_id, user_id)
SELECT p.id, u.id FROM partners p CROSS JOIN users u
WHERE u.role = 'account_manager' AND u.status = 'active';

-- +goose Down
DROP TABLE partner_managers;
