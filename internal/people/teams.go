package people

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

// MaxTeamName is the longest team name, in characters.
const MaxTeamName = 100

// Errors of team membership the handlers turn into messages. ErrNoSuchMember
// is also a store.ErrNotFound: the user is not an active member of the
// partner (or of another partner, which must look the same).
var (
	ErrNoSuchMember  = fmt.Errorf("not an active member of the partner: %w", store.ErrNotFound)
	ErrAlreadyInTeam = errors.New("already in the team")
	ErrNotInTeam     = errors.New("not in the team")
)

// checkTeamName returns the trimmed name or a FieldError.
func checkTeamName(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if p := textcheck.Line(name); p != "" {
		return "", &apierr.FieldError{Field: "name", Message: "The team name " + p}
	}
	if name == "" || utf8.RuneCountInString(name) > MaxTeamName {
		return "", &apierr.FieldError{Field: "name", Message: fmt.Sprintf("Enter a team name (up to %d characters).", MaxTeamName)}
	}
	return name, nil
}

// teamEvent is the audit event of a change to team t.
func teamEvent(action string, t *store.Team, details map[string]any) audit.Event {
	return audit.Event{Action: action, PartnerID: t.PartnerID, TargetType: "team", TargetID: t.ID, Target: t.Name, Details: details}
}

func teamNameTaken(name string) error {
	return &apierr.FieldError{Field: "name", Message: fmt.Sprintf("A team named %s exists already.", name)}
}

// CreateTeam creates a team of the partner.
func (s *Service) CreateTeam(ctx context.Context, partnerID int64, rawName string) (*store.Team, error) {
	name, err := checkTeamName(rawName)
	if err != nil {
		return nil, err
	}
	var t *store.Team
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		t, err = tx.CreateTeam(ctx, partnerID, name)
		if errors.Is(err, store.ErrTeamNameTaken) {
			return teamNameTaken(name)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, teamEvent("team.create", t, nil))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// RenameTeam renames a team of the partner; the name stays unique within
// the partner, whatever its case.
func (s *Service) RenameTeam(ctx context.Context, partnerID, teamID int64, rawName string) (*store.Team, error) {
	name, err := checkTeamName(rawName)
	if err != nil {
		return nil, err
	}
	var t *store.Team
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if t, err = tx.LockPartnerTeam(ctx, partnerID, teamID); err != nil {
			return err
		}
		if t.Name == name {
			return nil
		}
		if err := tx.RenameTeam(ctx, t.ID, name); errors.Is(err, store.ErrTeamNameTaken) {
			return teamNameTaken(name)
		} else if err != nil {
			return err
		}
		from := t.Name
		t.Name = name
		return audit.Record(ctx, tx, teamEvent("team.rename", t, map[string]any{"from": from, "to": name}))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// DeleteTeam deletes a team of the partner and returns it with how many
// members it had; they stay members of the partner.
func (s *Service) DeleteTeam(ctx context.Context, partnerID, teamID int64) (*store.Team, int, error) {
	var t *store.Team
	var n int
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if t, err = tx.LockPartnerTeam(ctx, partnerID, teamID); err != nil {
			return err
		}
		if n, err = tx.TeamMemberCount(ctx, t.ID); err != nil {
			return err
		}
		// The team's grants end with it: each is recorded (and told to
		// access_group.revoked subscribers) before the rows go.
		grants, err := tx.OpenTeamGrants(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if err := audit.Record(ctx, tx, audit.Event{Action: "grant.revoke", PartnerID: g.PartnerID, TargetType: "grant", TargetID: g.ID,
				Target: g.GroupName, Details: map[string]any{"access_group_id": g.GroupID, "grantee": "team " + t.Name, "team_id": t.ID,
					"reason": "team deleted"}}); err != nil {
				return err
			}
		}
		if err := tx.DeleteTeam(ctx, t.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, teamEvent("team.delete", t, map[string]any{"members": n}))
	})
	if err != nil {
		return nil, 0, err
	}
	return t, n, nil
}

// AddTeamMember puts an active member of the partner in one of its teams.
// A user of another partner, removed or unknown is ErrNoSuchMember; someone
// in the team already is ErrAlreadyInTeam, and nothing changes.
func (s *Service) AddTeamMember(ctx context.Context, partnerID, teamID, userID int64) (*store.Team, *store.User, error) {
	return s.changeTeamMember(ctx, partnerID, teamID, userID, func(tx *store.Store, t *store.Team, u *store.User) error {
		added, err := tx.AddTeamMember(ctx, t.ID, u.ID)
		if err == nil && !added {
			return ErrAlreadyInTeam
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, teamEvent("team.member_add", t, map[string]any{"member": u.Email, "member_id": u.ID}))
	})
}

// RemoveTeamMember takes a member out of one of the partner's teams; they
// stay a member of the partner. Someone not in the team is ErrNotInTeam.
func (s *Service) RemoveTeamMember(ctx context.Context, partnerID, teamID, userID int64) (*store.Team, *store.User, error) {
	return s.changeTeamMember(ctx, partnerID, teamID, userID, func(tx *store.Store, t *store.Team, u *store.User) error {
		removed, err := tx.RemoveTeamMember(ctx, t.ID, u.ID)
		if err == nil && !removed {
			return ErrNotInTeam
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, teamEvent("team.member_remove", t, map[string]any{"member": u.Email, "member_id": u.ID}))
	})
}

// changeTeamMember locks the partner's team and member, then runs change
// on them, in one transaction. The team and user are returned with
// ErrAlreadyInTeam and ErrNotInTeam too, for the message that names them.
func (s *Service) changeTeamMember(ctx context.Context, partnerID, teamID, userID int64, change func(tx *store.Store, t *store.Team, u *store.User) error) (*store.Team, *store.User, error) {
	if userID <= 0 {
		return nil, nil, &apierr.FieldError{Field: "user_id", Message: "Choose the member to add to the team."}
	}
	var t *store.Team
	var u *store.User
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if t, err = tx.LockPartnerTeam(ctx, partnerID, teamID); err != nil {
			return err
		}
		u, err = tx.LockPartnerMember(ctx, partnerID, userID)
		if errors.Is(err, store.ErrNotFound) {
			return ErrNoSuchMember
		}
		if err != nil {
			return err
		}
		return change(tx, t, u)
	})
	return t, u, err
}
