package sso

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/audit"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// Why a person's access was ended.
const (
	// ReasonRefused: the provider refuses to vouch for them any more (it
	// answered invalid_grant: deleted, disabled, or their grant revoked).
	ReasonRefused = "refused"
	// ReasonLeftGroups: the provider requires a mapped group and they are
	// in none any more.
	ReasonLeftGroups = "left_groups"
)

// reasonText says a reason in words, after "because".
func reasonText(reason string) string {
	switch reason {
	case ReasonRefused:
		return "the identity provider no longer signs them in (deleted or disabled there)"
	case ReasonLeftGroups:
		return "they are no longer in any group mapped to the portal"
	}
	return reason
}

// Deprovisioned is a person whose access was ended.
type Deprovisioned struct {
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Reason string `json:"reason"`
	// TokensRevoked counts the personal tokens revoked, ClientsRevoked the
	// OAuth clients.
	TokensRevoked  int `json:"tokens_revoked"`
	ClientsRevoked int `json:"clients_revoked"`
}

// revokeReason is what revoked credentials say of why.
const revokeReason = "owner's access ended by the identity provider"

// Deprovision ends the access of the person behind ident, in tx: like
// removing a member (status removed, team memberships, sessions, and for
// a partner member every token and OAuth client revoked), the identity
// link deleted, audited as member.deprovisioned. The last-admin rule does
// not apply: the provider's directory decides who works for the partner.
// A person no longer active (removed meanwhile) only loses the link, and
// the result is nil. Callers mail the people's admins with
// MailDeprovisioned, once for all those one event ends.
func (s *Service) Deprovision(ctx context.Context, tx *store.Store, p *store.IdentityProvider, ident *store.UserIdentity, reason string) (*Deprovisioned, error) {
	u, err := tx.UserByID(ctx, ident.UserID)
	if err != nil {
		return nil, err
	}
	if err := tx.DeleteIdentity(ctx, p.ID, ident.Subject); err != nil {
		return nil, err
	}
	if !speaksFor(p, u) {
		// A link to someone the provider does not speak for is dropped,
		// never acted on.
		return nil, nil
	}
	if !p.IsStaff() {
		// Locks the member: a concurrent removal or sign-in waits.
		if u, err = tx.LockPartnerMember(ctx, *p.PartnerID, u.ID); errors.Is(err, store.ErrNotFound) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
	}
	if u.Status != "active" {
		return nil, nil
	}
	d := &Deprovisioned{UserID: u.ID, Name: u.Name, Email: u.Email, Reason: reason}
	if u.Role == store.RoleAdmin {
		// A platform admin keeps the account and its password: the
		// provider's own staff keep a break-glass way in even when their
		// identity provider drops them (or fails). Their sessions end and
		// the link goes.
		if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return nil, err
		}
		return d, audit.Record(ctx, tx, userEvent("member.deprovisioned", u, map[string]any{
			"provider": p.DisplayName, "reason": reason, "role": u.Role, "break_glass_kept": true,
			"tokens_revoked": 0, "clients_revoked": 0}))
	}
	if d.ClientsRevoked, err = tx.OpenClientsOfUser(ctx, u.ID); err != nil {
		return nil, err
	}
	if err := tx.RemoveUser(ctx, u.ID); err != nil {
		return nil, err
	}
	if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
		return nil, err
	}
	// OAuth clients are rows of tokens: this revokes them too, and their
	// access tokens with them (verification joins the client's row).
	var by *int64
	if id := audit.SourceFrom(ctx).ActorID; id != 0 {
		by = &id
	}
	revoked, err := tx.RevokeUserTokens(ctx, u.ID, by, revokeReason)
	if err != nil {
		return nil, err
	}
	if err := webhook.QueueCredentialsRevoked(ctx, tx, revoked, revokeReason, audit.SourceFrom(ctx).ActorID); err != nil {
		return nil, err
	}
	d.TokensRevoked = max(len(revoked)-d.ClientsRevoked, 0)
	return d, audit.Record(ctx, tx, userEvent("member.deprovisioned", u, map[string]any{
		"provider": p.DisplayName, "reason": reason, "role": u.Role,
		"tokens_revoked": d.TokensRevoked, "clients_revoked": d.ClientsRevoked}))
}

// speaksFor reports whether p may vouch for u: the staff's provider for
// staff, a partner's for that partner's people. Admission links nobody
// else; a sync or de-provisioning checks again all the same.
func speaksFor(p *store.IdentityProvider, u *store.User) bool {
	if p.IsStaff() {
		return u.IsStaff()
	}
	return u.PartnerID != nil && *u.PartnerID == *p.PartnerID
}

// mailListMax bounds the people one mail names; the rest are counted.
const mailListMax = 50

// MailDeprovisioned queues, in tx, one mail to each admin of the
// provider's people (the partner's active admins, or its account managers
// when it has none left; the platform admins for the staff's provider)
// naming who lost access and why. Nothing is sent for an empty list.
func (s *Service) MailDeprovisioned(ctx context.Context, tx *store.Store, p *store.IdentityProvider, gone []Deprovisioned) error {
	if len(gone) == 0 {
		return nil
	}
	var to []recipient
	if p.IsStaff() {
		admins, err := tx.PlatformAdmins(ctx)
		if err != nil {
			return err
		}
		to = usersTo(admins)
	} else {
		admins, err := tx.PartnerAdmins(ctx, *p.PartnerID)
		if err != nil {
			return err
		}
		to = usersTo(admins)
		if len(to) == 0 {
			managers, err := tx.PartnerManagers(ctx, *p.PartnerID)
			if err != nil {
				return err
			}
			for _, m := range managers {
				to = append(to, recipient{m.Email, m.Name})
			}
		}
	}
	who := "your organisation"
	if !p.IsStaff() {
		who = p.PartnerName
	}
	subject := fmt.Sprintf("%d %s lost access to the partner portal", len(gone), plural(len(gone), "person", "people"))
	lines := []string{fmt.Sprintf("%s, the identity provider of %s, no longer vouches for the people below, so their access to the Portico partner portal has ended: they are signed out, and their tokens and OAuth clients are revoked.", p.DisplayName, who)}
	for i, d := range gone {
		if i == mailListMax {
			lines = append(lines, fmt.Sprintf("…and %d more (see the audit log).", len(gone)-mailListMax))
			break
		}
		lines = append(lines, fmt.Sprintf("%s <%s>: %s.", singleLine(d.Name), d.Email, reasonText(d.Reason)))
	}
	lines = append(lines, "If someone should still have access, restore them at the identity provider; they can then sign in again.")
	return s.notify(ctx, tx, to, subject, lines, "/audit", "See the audit log")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// recipient is someone a notice goes to.
type recipient struct{ email, name string }

func usersTo(us []store.User) []recipient {
	to := make([]recipient, 0, len(us))
	for _, u := range us {
		to = append(to, recipient{u.Email, u.Name})
	}
	return to
}

// notify queues, in tx, the same notice to each of to, linking to path.
func (s *Service) notify(ctx context.Context, tx *store.Store, to []recipient, subject string, lines []string, path, label string) error {
	for _, r := range to {
		msg := pmail.Notice{
			ToEmail: r.email, ToName: r.name, Subject: subject,
			Greeting: "Hello " + singleLine(r.name) + ",", Lines: lines,
			Link: s.baseURL + path, LinkLabel: label,
			Closing: "— Portico",
		}.Message()
		if err := s.outbox.Enqueue(ctx, tx, msg); err != nil {
			return err
		}
	}
	return nil
}

// singleLine keeps a name on one line of the mail.
func singleLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
