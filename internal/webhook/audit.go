package webhook

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/portico/portico/internal/store"
)

// Action is an audited action, as the audit package records it: every
// action that concerns subscribers is audited in its own transaction, so
// deriving events from the audit trail sends each one exactly when its
// action commits, whichever path (page, API, job) took it.
type Action struct {
	Name      string
	PartnerID int64
	TargetID  int64
	Target    string
	Details   map[string]any
	ActorID   int64
}

// FromAudit queues the event an audited action means, if any.
func FromAudit(ctx context.Context, tx *store.Store, a Action) error {
	if a.PartnerID == 0 {
		return nil
	}
	if c, ok := credentialActions[a.Name]; ok {
		return credentialFromAudit(ctx, tx, a, c)
	}
	typ, data := fromAudit(a)
	if typ == "" {
		return nil
	}
	return Emit(ctx, tx, Event{Type: typ, PartnerID: a.PartnerID, ActorID: a.ActorID, Data: data})
}

// credentialAction is what an audited action on a credential means: the
// event type for a personal access token and for an OAuth client (the
// audit trail calls both "token"), and what the action adds to the data.
type credentialAction struct {
	token, client string
	more          func(a Action, d *CredentialData)
}

var credentialActions = map[string]credentialAction{
	"token.create":  {TokenCreated, OAuthClientCreated, nil},
	"client.create": {TokenCreated, OAuthClientCreated, nil},
	"token.approve": {TokenApproved, TokenApproved, nil},
	"token.regenerate": {TokenRotated, OAuthClientRotated, func(a Action, d *CredentialData) {
		grace := int(detailInt(a.Details, "grace_seconds"))
		d.PreviousHint, d.GraceSeconds = detailString(a.Details, "old_hint"), &grace
	}},
	"token.revoke": {TokenRevoked, OAuthClientRevoked, func(a Action, d *CredentialData) {
		d.Reason = detailString(a.Details, "reason")
	}},
	"token.leaked": {TokenRevoked, OAuthClientRevoked, func(_ Action, d *CredentialData) { d.Reason = "leaked" }},
}

// credentialFromAudit reads the credential first: its kind picks the
// event type subscribers chose.
func credentialFromAudit(ctx context.Context, tx *store.Store, a Action, c credentialAction) error {
	if a.Name == "token.leaked" && detailString(a.Details, "previous_secret") == "true" {
		return nil // the old secret of a rotation stopped; the credential works on
	}
	t, err := tx.TokenByID(ctx, a.TargetID)
	if err != nil {
		return fmt.Errorf("webhook for %s: %w", a.Name, err)
	}
	typ := c.token
	if t.IsClient() {
		typ = c.client
	}
	return Emit(ctx, tx, Event{Type: typ, PartnerID: a.PartnerID, ActorID: a.ActorID,
		Data: func(_ context.Context, _ *store.Store, cm Common) (any, error) {
			d := CredentialData{Common: cm, Credential: credentialOf(t)}
			if c.more != nil {
				c.more(a, &d)
			}
			return d, nil
		}})
}

// dataFunc builds an event's data.
type dataFunc = func(ctx context.Context, tx *store.Store, c Common) (any, error)

// fromAudit maps an audited action to its event type and data.
func fromAudit(a Action) (string, dataFunc) {
	switch a.Name {
	case "invitation.create":
		return MemberInvited, func(_ context.Context, _ *store.Store, c Common) (any, error) {
			return InvitationData{Common: c, Invitation: Invitation{ID: a.TargetID, Email: a.Target, Role: detailString(a.Details, "role")}}, nil
		}
	case "invitation.accept":
		return MemberJoined, member(detailInt(a.Details, "user_id"), "invitation")
	case "member.joined":
		return MemberJoined, member(a.TargetID, "sso")
	case "member.remove":
		return MemberRemoved, member(a.TargetID, "removed")
	case "member.deprovisioned":
		return MemberRemoved, member(a.TargetID, "identity_provider")
	case "team.create", "team.rename", "team.delete", "team.member_add", "team.member_remove":
		return TeamChanged, team(a)
	case "grant.create":
		return AccessGroupGranted, grant(a.TargetID)
	case "grant.revoke":
		return AccessGroupRevoked, grant(a.TargetID)
	case "partner.suspend":
		return PartnerSuspended, partner(nil)
	case "partner.reactivate":
		return PartnerReactivated, partner(nil)
	case "partner.end":
		return PartnerEnded, partner(&Ended{
			CredentialsRevoked:   int(detailInt(a.Details, "credentials_revoked")),
			PeopleClosed:         int(detailInt(a.Details, "people_closed")),
			InvitationsCancelled: int(detailInt(a.Details, "invitations_cancelled")),
			GrantsEnded:          int(detailInt(a.Details, "grants_ended")),
		})
	}
	return "", nil
}

func member(userID int64, via string) dataFunc {
	return func(ctx context.Context, tx *store.Store, c Common) (any, error) {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return nil, err
		}
		return MemberData{Common: c, Member: Member{ID: u.ID, Email: u.Email, Role: u.Role}, Via: via}, nil
	}
}

func team(a Action) dataFunc {
	return func(_ context.Context, _ *store.Store, c Common) (any, error) {
		d := TeamData{Common: c, Team: Team{ID: a.TargetID, Name: a.Target}}
		switch a.Name {
		case "team.create":
			d.Change = "created"
		case "team.rename":
			d.Change = "renamed"
			from := detailString(a.Details, "from")
			d.PreviousName = &from
		case "team.delete":
			d.Change = "deleted"
		case "team.member_add", "team.member_remove":
			d.Change = map[string]string{"team.member_add": "member_added", "team.member_remove": "member_removed"}[a.Name]
			d.Member = &Person{ID: detailInt(a.Details, "member_id"), Email: detailString(a.Details, "member")}
		}
		return d, nil
	}
}

func grant(id int64) dataFunc {
	return func(ctx context.Context, tx *store.Store, c Common) (any, error) {
		g, err := tx.GrantRowByID(ctx, id)
		if err != nil {
			return nil, err
		}
		d := GrantData{Common: c, Grant: GrantRef{ID: g.ID}, AccessGroup: AccessGroup{ID: g.GroupID, Name: g.GroupName}}
		if g.TeamID != nil {
			d.Grantee = Grantee{Type: "team", ID: *g.TeamID, Name: deref(g.TeamName)}
		} else if g.UserID != nil {
			d.Grantee = Grantee{Type: "developer", ID: *g.UserID, Name: deref(g.UserName), Email: deref(g.UserEmail)}
		}
		return d, nil
	}
}

// credentialOf describes t by its hint, never its secret.
func credentialOf(t *store.Token) Credential {
	cr := Credential{ID: t.ID, Kind: "personal_access_token", Name: t.Name, Hint: t.Hint, Environment: t.Environment,
		Scopes: append([]string{}, t.Scopes...), Owner: Person{ID: t.UserID, Email: t.OwnerEmail},
		Status: t.Status(time.Now()), ExpiresAt: t.ExpiresAt.UTC().Format(time.RFC3339)}
	if t.IsClient() {
		cr.Kind, cr.ClientID = "oauth_client", *t.ClientID
	}
	return cr
}

func partner(ended *Ended) dataFunc {
	return func(_ context.Context, _ *store.Store, c Common) (any, error) {
		return PartnerData{Common: c, Ended: ended}, nil
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// detailString reads a detail as text ("" when absent).
func detailString(d map[string]any, k string) string {
	switch v := d[k].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		return fmt.Sprint(v)
	}
}

// detailInt reads a detail as a number (0 when absent).
func detailInt(d map[string]any, k string) int64 {
	switch v := d[k].(type) {
	case int:
		return int64(v)
	case int64:
		return v
	case float64:
		return int64(v)
	case string:
		n, _ := strconv.ParseInt(v, 10, 64)
		return n
	}
	return 0
}
