package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// ErrTeamNameTaken is returned when the partner already has a team of that
// name, compared case-insensitively.
var ErrTeamNameTaken = errors.New("the partner already has a team of this name")

// Team is a group of a partner's members.
type Team struct {
	ID        int64     `db:"id"`
	PartnerID int64     `db:"partner_id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

// TeamSummary is a team as the teams page lists it: with its number of
// active members and the first TeamSummaryNames of their names.
type TeamSummary struct {
	Team
	MemberCount int            `db:"member_count"`
	Members     pq.StringArray `db:"members"`
	// SortName is lower(name) as the database computed it: the name part
	// of the team's Key.
	SortName string `db:"sort_name"`
}

// TeamMember is an active member of a team.
type TeamMember struct {
	ID      int64     `db:"id"`
	Email   string    `db:"email"`
	Name    string    `db:"name"`
	Role    string    `db:"role"`
	AddedAt time.Time `db:"added_at"`
	// SortName is lower(name) as the database computed it: the name part
	// of the member's Key.
	SortName string `db:"sort_name"`
}

const teamColumns = `t.id, t.partner_id, t.name, t.created_at, t.updated_at`

// teamNameTaken turns a violation of teams_partner_name into ErrTeamNameTaken.
func teamNameTaken(err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "teams_partner_name" {
		return ErrTeamNameTaken
	}
	return err
}

// PartnerTeam returns a team of the given partner: a team of another
// partner is ErrNotFound, so ids do not cross tenants.
func (s *Store) PartnerTeam(ctx context.Context, partnerID, teamID int64) (*Team, error) {
	var t Team
	err := s.q.GetContext(ctx, &t, `SELECT `+teamColumns+` FROM teams t
		WHERE t.id = $1 AND t.partner_id = $2`, teamID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("team %d of partner %d: %w", teamID, partnerID, notFound(err))
	}
	return &t, nil
}

// LockPartnerTeam is PartnerTeam that also locks the team's row until the
// transaction ends, so changes to one team and its membership run one at a
// time.
func (s *Store) LockPartnerTeam(ctx context.Context, partnerID, teamID int64) (*Team, error) {
	var t Team
	err := s.q.GetContext(ctx, &t, `SELECT `+teamColumns+` FROM teams t
		WHERE t.id = $1 AND t.partner_id = $2 FOR UPDATE`, teamID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("lock team %d of partner %d: %w", teamID, partnerID, notFound(err))
	}
	return &t, nil
}

// LockPartnerMember returns an active member of the given partner and holds
// a share lock on their row, so a concurrent removal waits for this
// transaction and then also ends what it added (team memberships).
func (s *Store) LockPartnerMember(ctx context.Context, partnerID, userID int64) (*User, error) {
	var u User
	err := s.q.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users
		WHERE id = $1 AND partner_id = $2 AND status = 'active' FOR SHARE`, userID, partnerID)
	if err != nil {
		return nil, fmt.Errorf("lock member %d of partner %d: %w", userID, partnerID, notFound(err))
	}
	return &u, nil
}

// CreateTeam inserts a team; ErrTeamNameTaken when the partner has one of
// that name already.
func (s *Store) CreateTeam(ctx context.Context, partnerID int64, name string) (*Team, error) {
	var t Team
	err := s.q.GetContext(ctx, &t, `
		INSERT INTO teams AS t (partner_id, name) VALUES ($1, $2)
		RETURNING `+teamColumns, partnerID, name)
	if err != nil {
		return nil, fmt.Errorf("create team %q of partner %d: %w", name, partnerID, teamNameTaken(err))
	}
	return &t, nil
}

// RenameTeam changes a team's name; ErrTeamNameTaken when another team of
// the partner has that name.
func (s *Store) RenameTeam(ctx context.Context, teamID int64, name string) error {
	res, err := s.q.ExecContext(ctx, `UPDATE teams SET name = $2, updated_at = now() WHERE id = $1`, teamID, name)
	if err != nil {
		return fmt.Errorf("rename team %d: %w", teamID, teamNameTaken(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("rename team %d: %w", teamID, ErrNotFound)
	}
	return nil
}

// DeleteTeam deletes a team and its memberships; the members stay members
// of the partner.
func (s *Store) DeleteTeam(ctx context.Context, teamID int64) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM teams WHERE id = $1`, teamID)
	if err != nil {
		return fmt.Errorf("delete team %d: %w", teamID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("delete team %d: %w", teamID, ErrNotFound)
	}
	return nil
}

// AddTeamMember puts a user in a team; added is false when they were in it
// already.
func (s *Store) AddTeamMember(ctx context.Context, teamID, userID int64) (added bool, err error) {
	res, err := s.q.ExecContext(ctx, `
		INSERT INTO team_memberships (team_id, user_id) VALUES ($1, $2)
		ON CONFLICT (team_id, user_id) DO NOTHING`, teamID, userID)
	if err != nil {
		return false, fmt.Errorf("add user %d to team %d: %w", userID, teamID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RemoveTeamMember takes a user out of a team; removed is false when they
// were not in it.
func (s *Store) RemoveTeamMember(ctx context.Context, teamID, userID int64) (removed bool, err error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM team_memberships WHERE team_id = $1 AND user_id = $2`, teamID, userID)
	if err != nil {
		return false, fmt.Errorf("remove user %d from team %d: %w", userID, teamID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}
