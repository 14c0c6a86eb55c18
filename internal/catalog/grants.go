package catalog

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// GrantTo says whom to grant a group to: exactly one of a team and a user.
// PartnerID, when set, is the partner the grantee must belong to; the
// grant's partner is always the grantee's own, never taken from a form.
type GrantTo struct {
	TeamID    int64
	UserID    int64
	PartnerID int64
}

// ParseGrantee reads a grant form's choice: "team:ID" or "user:ID".
// Anything else is the empty choice, which Grant refuses.
func ParseGrantee(v string) GrantTo {
	kind, id, _ := strings.Cut(strings.TrimSpace(v), ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return GrantTo{}
	}
	switch kind {
	case "team":
		return GrantTo{TeamID: n}
	case "user":
		return GrantTo{UserID: n}
	}
	return GrantTo{}
}

// ErrNotManaged is a grant to, or a grant of, a partner the actor may not
// act on (an account manager's unassigned partner): handlers answer it as
// they answer one that does not exist, 404.
var ErrNotManaged = errors.New("the partner is not one the actor manages")

// managed asks the policy whether the actor may grant to and revoke the
// grants of partnerID: granting a shared access group is an action on the
// partner, so it follows the account manager's assignment.
func managed(actor access.Actor, partnerID int64) error {
	if access.Can(actor, access.ManageAccessGroups, partnerID) != access.Allow {
		return ErrNotManaged
	}
	return nil
}

// Granted is the outcome of a grant.
type Granted struct {
	ID      int64
	Group   *store.AccessGroup
	Grantee *store.Grantee
}

// Grant gives a group to a team or a person of an active partner, recording
// who granted it. Refused with a FieldError, nothing stored: no or an
// unknown grantee, a staff member, a removed person, a suspended partner,
// a grantee of another partner than to.PartnerID, and a grantee that holds
// the group already. An unknown group is store.ErrNotFound; a grantee of,
// or a to.PartnerID naming, a partner the actor does not manage is
// ErrNotManaged, decided before anything else about the grantee is said.
func (g *Groups) Grant(ctx context.Context, actor access.Actor, groupID int64, to GrantTo) (*Granted, error) {
	if (to.TeamID > 0) == (to.UserID > 0) {
		return nil, &apierr.FieldError{Field: "grantee", Message: "Choose a team or a person of a partner to grant the group to."}
	}
	// A partner the request names must be the actor's too: the refusal of
	// a grantee of another partner would otherwise name it.
	if to.PartnerID != 0 {
		if err := managed(actor, to.PartnerID); err != nil {
			return nil, err
		}
	}
	out := &Granted{}
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if out.Group, err = tx.LockAccessGroup(ctx, groupID, false); err != nil {
			return err
		}
		var teamID, userID *int64
		if to.TeamID > 0 {
			teamID = &to.TeamID
			out.Grantee, err = tx.LockGranteeTeam(ctx, to.TeamID)
			if errors.Is(err, store.ErrNotFound) {
				return &apierr.FieldError{Field: "grantee", Message: "That team does not exist (any more). Choose another."}
			}
		} else {
			userID = &to.UserID
			out.Grantee, err = tx.LockGranteeUser(ctx, to.UserID)
			if errors.Is(err, store.ErrNotFound) {
				return &apierr.FieldError{Field: "grantee", Message: "Access groups are granted to the people of partners; that person is not a member of any partner."}
			}
		}
		if err != nil {
			return err
		}
		gt := out.Grantee
		if err := managed(actor, gt.PartnerID); err != nil {
			return err
		}
		if err := checkGrantee(ctx, tx, gt, to.PartnerID); err != nil {
			return err
		}
		held, err := tx.HasOpenGrant(ctx, out.Group.ID, teamID, userID)
		if err != nil {
			return err
		}
		if held {
			return alreadyHolds(gt, out.Group.Name)
		}
		out.ID, err = tx.Grant(ctx, out.Group.ID, gt.PartnerID, teamID, userID, actorRef(actor))
		if errors.Is(err, store.ErrAlreadyGranted) {
			return alreadyHolds(gt, out.Group.Name)
		}
		if err != nil {
			return err
		}
		details := map[string]any{"access_group_id": out.Group.ID, "grantee": GranteeLabel(gt)}
		if gt.TeamID != nil {
			details["team_id"] = *gt.TeamID
		} else {
			details["user_id"], details["email"] = gt.UserID, gt.Email
		}
		return audit.Record(ctx, tx, audit.Event{Action: "grant.create", PartnerID: gt.PartnerID, TargetType: "grant", TargetID: out.ID,
			Target: out.Group.Name, Details: details})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkGrantee refuses grantees that cannot hold access now.
func checkGrantee(ctx context.Context, tx *store.Store, gt *store.Grantee, partnerID int64) error {
	if partnerID != 0 && gt.PartnerID != partnerID {
		p, err := tx.PartnerByID(ctx, partnerID)
		if errors.Is(err, store.ErrNotFound) {
			return &apierr.FieldError{Field: "grantee", Message: "That partner does not exist."}
		}
		if err != nil {
			return err
		}
		return &apierr.FieldError{Field: "grantee", Message: fmt.Sprintf("%s is not part of %s but of %s: a grant goes to a team or person of the partner it is for.",
			GranteeLabel(gt), p.Name, gt.PartnerName)}
	}
	if gt.PartnerStatus == store.PartnerEnded {
		return &apierr.FieldError{Field: "grantee", Message: "The partnership of " + gt.PartnerName + " has ended: it cannot be granted access."}
	}
	if gt.PartnerStatus != store.PartnerActive {
		return &apierr.FieldError{Field: "grantee", Message: gt.PartnerName + " is suspended. Reactivate the partner before granting it access."}
	}
	if gt.UserStatus != nil && *gt.UserStatus != "active" {
		return &apierr.FieldError{Field: "grantee", Message: gt.Name + " was removed from " + gt.PartnerName + " and cannot be granted access."}
	}
	return nil
}

func alreadyHolds(gt *store.Grantee, group string) error {
	return &apierr.FieldError{Field: "grantee", Message: fmt.Sprintf("%s of %s holds %s already.", GranteeLabel(gt), gt.PartnerName, group)}
}

// GranteeLabel names a grantee: "team Integrations" or "Dev Harbor".
func GranteeLabel(gt *store.Grantee) string {
	if gt.TeamID != nil {
		return "team " + gt.Name
	}
	return gt.Name
}

// Revoke takes a grant of the group back, recording who did; the row stays
// for the audit trail. A grant of another group is store.ErrNotFound, one
// to a partner the actor does not manage ErrNotManaged (with no grant
// returned); one revoked already is ErrAlreadyRevoked, returned with the
// grant.
func (g *Groups) Revoke(ctx context.Context, actor access.Actor, groupID, grantID int64) (*store.GrantRow, error) {
	var gr *store.GrantRow
	err := g.store.InTx(ctx, func(tx *store.Store) error {
		if _, err := tx.LockAccessGroup(ctx, groupID, false); err != nil {
			return err
		}
		var err error
		if gr, err = tx.LockGroupGrant(ctx, groupID, grantID); err != nil {
			return err
		}
		if err := managed(actor, gr.PartnerID); err != nil {
			gr = nil
			return err
		}
		if gr.RevokedAt != nil {
			return ErrAlreadyRevoked
		}
		if err := tx.RevokeGrant(ctx, gr.ID, actorRef(actor)); err != nil {
			return err
		}
		details := map[string]any{"access_group_id": gr.GroupID}
		if gr.TeamID != nil {
			details["grantee"], details["team_id"] = "team "+deref(gr.TeamName), *gr.TeamID
		} else {
			details["grantee"], details["user_id"], details["email"] = deref(gr.UserName), gr.UserID, gr.UserEmail
		}
		return audit.Record(ctx, tx, audit.Event{Action: "grant.revoke", PartnerID: gr.PartnerID, TargetType: "grant", TargetID: gr.ID,
			Target: gr.GroupName, Details: details})
	})
	return gr, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
