// Package lifecycle ends partnerships (issue 17): at once, after staff
// confirm it, or on a day set in advance, with reminders to the partner's
// account managers and admins 30 and 7 days before. Ending one removes
// every kind of access in one transaction — credentials and the OAuth
// access tokens issued to them, sessions, password reset links,
// invitations, grants, team memberships, the sandbox's data, the
// identity provider, the members' accounts — and keeps the audit trail and usage. An ended partner is
// never reactivated: a new partner is created instead.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// ErrEnded is an action on a partnership that has ended already.
var ErrEnded = errors.New("the partnership has ended")

// MaxScheduleAhead bounds how far ahead an end can be scheduled.
const MaxScheduleAhead = 5

// Service ends partnerships and schedules their end.
type Service struct {
	store   *store.Store
	outbox  *pmail.Outbox
	baseURL string
	now     func() time.Time
}

// New returns the service; baseURL is the portal's public URL, for links in
// mails.
func New(st *store.Store, outbox *pmail.Outbox, baseURL string) *Service {
	return &Service{store: st, outbox: outbox, baseURL: strings.TrimSuffix(baseURL, "/"), now: time.Now}
}

// Result is what ending a partnership did.
type Result struct {
	Partner *store.Partner
	store.EndCounts
}

// Preview counts what ending the partner would take away, for the
// confirmation. ErrEnded when it has ended.
func (s *Service) Preview(ctx context.Context, partnerID int64) (*store.Partner, store.EndCounts, error) {
	p, err := s.store.PartnerByID(ctx, partnerID)
	if err != nil {
		return nil, store.EndCounts{}, err
	}
	if p.Status == store.PartnerEnded {
		return p, store.EndCounts{}, ErrEnded
	}
	c, err := s.store.PartnerEndCounts(ctx, partnerID)
	return p, c, err
}

// End ends the partnership in one transaction. The acting user comes from
// the context's audit source (none: the scheduled end). The caller checked
// access.ManagePartners. ErrEnded when it has ended already.
func (s *Service) End(ctx context.Context, partnerID int64) (*Result, error) {
	var by *int64
	if id := audit.SourceFrom(ctx).ActorID; id != 0 {
		by = &id
	}
	reason := "partnership ended"
	var r Result
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		p, err := lockLive(ctx, tx, partnerID)
		if err != nil {
			return err
		}
		scheduled, err := tx.PartnerLifecycleOf(ctx, partnerID)
		if err != nil {
			return err
		}
		// The admins are read before their accounts close: they are told.
		admins, err := tx.PartnerAdmins(ctx, partnerID)
		if err != nil {
			return err
		}
		creds, atokens, err := tx.RevokePartnerCredentials(ctx, partnerID, by, reason)
		if err != nil {
			return err
		}
		listed := 0
		for _, c := range creds {
			if c.Console {
				continue // hidden, as everywhere else
			}
			listed++
			if err := audit.Record(ctx, tx, audit.Event{Action: "token.revoke", PartnerID: partnerID, TargetType: "token", TargetID: c.ID,
				Target: c.Name, Details: map[string]any{"hint": c.Hint, "owner": c.OwnerEmail, "reason": reason}}); err != nil {
				return err
			}
		}
		grants, err := tx.EndPartnerGrants(ctx, partnerID, by)
		if err != nil {
			return err
		}
		for _, g := range grants {
			if err := audit.Record(ctx, tx, grantEvent(partnerID, g)); err != nil {
				return err
			}
		}
		invs, err := tx.CancelPartnerInvitations(ctx, partnerID)
		if err != nil {
			return err
		}
		for _, i := range invs {
			if err := audit.Record(ctx, tx, audit.Event{Action: "invitation.cancel", PartnerID: partnerID, TargetType: "invitation",
				TargetID: i.ID, Target: i.Email, Details: map[string]any{"role": i.Role, "reason": reason}}); err != nil {
				return err
			}
		}
		// Its identity provider goes with it (domains, mappings and
		// identities by cascade): the domains are free for whoever owns
		// them next, and nothing signs in through an ended partner.
		providers, identities, err := tx.DeletePartnerIdentityProvider(ctx, partnerID)
		if err != nil {
			return err
		}
		people, sessions, err := tx.CloseMembers(ctx, partnerID)
		if err != nil {
			return err
		}
		writes, err := tx.ResetSandbox(ctx, partnerID)
		if err != nil {
			return err
		}
		if r.Partner, err = tx.MarkPartnerEnded(ctx, partnerID, by); err != nil {
			return err
		}
		r.EndCounts = store.EndCounts{Credentials: listed, AccessTokens: atokens, People: people, Sessions: sessions,
			Invitations: len(invs), Grants: len(grants), SandboxWrites: int(writes), Admins: len(admins)}
		details := map[string]any{"from": p.Status, "credentials_revoked": listed, "access_tokens_revoked": atokens,
			"people_closed": people, "sessions_ended": sessions, "invitations_cancelled": len(invs), "grants_ended": len(grants),
			"sandbox_writes_deleted": writes, "admins_mailed": len(admins),
			"identity_providers_removed": providers, "identities_unlinked": identities}
		if by == nil && scheduled.EndOn != nil {
			details["scheduled_for"] = scheduled.EndOn.Format(time.DateOnly)
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "partner.end", PartnerID: partnerID, TargetType: "partner",
			TargetID: partnerID, Target: p.Name, Details: details}); err != nil {
			return err
		}
		for _, a := range admins {
			if err := s.outbox.Enqueue(ctx, tx, endedMail(a, p.Name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// grantEvent is the audit event of a grant ended with its partnership,
// worded as a revoked grant is.
func grantEvent(partnerID int64, g store.EndedGrant) audit.Event {
	details := map[string]any{"access_group_id": g.GroupID, "reason": "partnership ended"}
	if g.TeamID != nil {
		details["grantee"], details["team_id"] = "team "+deref(g.TeamName), *g.TeamID
	} else {
		details["grantee"], details["user_id"], details["email"] = deref(g.UserName), g.UserID, deref(g.UserEmail)
	}
	return audit.Event{Action: "grant.revoke", PartnerID: partnerID, TargetType: "grant", TargetID: g.ID, Target: g.GroupName, Details: details}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// endedMail tells a partner admin the partnership ended. It carries no
// link: nobody of the partner can sign in any more.
func endedMail(to store.User, partner string) pmail.Message {
	return pmail.Notice{
		ToEmail: to.Email, ToName: to.Name,
		Subject:  "The partnership of " + partner + " has ended",
		Greeting: "Hello " + to.Name + ",",
		Lines: []string{
			"The API provider ended its partnership with " + partner + ". Every token and OAuth client of " + partner +
				" was revoked, its people were signed out, and their accounts on the portal are closed: nobody of " + partner + " can sign in any more.",
			"The record of what " + partner + " did on the portal is kept by the provider for its retention period.",
			"If you think this is a mistake, contact your account manager at the API provider.",
		},
		Closing: "— Portico",
	}.Message()
}

// Schedule sets the day the partnership ends (a date as YYYY-MM-DD, after
// today and within MaxScheduleAhead years, UTC). The caller checked
// access.ManagePartners. A bad date is a *apierr.FieldError saying why.
func (s *Service) Schedule(ctx context.Context, partnerID int64, raw string) (time.Time, error) {
	day, err := s.checkDay(raw)
	if err != nil {
		return time.Time{}, err
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		p, err := lockLive(ctx, tx, partnerID)
		if err != nil {
			return err
		}
		old, err := tx.PartnerLifecycleOf(ctx, partnerID)
		if err != nil {
			return err
		}
		if old.EndOn != nil && old.EndOn.Equal(day) {
			return nil // the same day again: nothing changed, nothing to record
		}
		if err := tx.SetPartnerEndOn(ctx, partnerID, &day); err != nil {
			return err
		}
		details := map[string]any{"to": day.Format(time.DateOnly)}
		if old.EndOn != nil {
			details["from"] = old.EndOn.Format(time.DateOnly)
		}
		return audit.Record(ctx, tx, audit.Event{Action: "partner.end_schedule", PartnerID: partnerID, TargetType: "partner",
			TargetID: partnerID, Target: p.Name, Details: details})
	})
	return day, err
}

// Unschedule cancels the partner's scheduled end; false when none was set.
func (s *Service) Unschedule(ctx context.Context, partnerID int64) (bool, error) {
	var had bool
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		p, err := lockLive(ctx, tx, partnerID)
		if err != nil {
			return err
		}
		old, err := tx.PartnerLifecycleOf(ctx, partnerID)
		if err != nil || old.EndOn == nil {
			return err
		}
		had = true
		if err := tx.SetPartnerEndOn(ctx, partnerID, nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "partner.end_unschedule", PartnerID: partnerID, TargetType: "partner",
			TargetID: partnerID, Target: p.Name, Details: map[string]any{"was": old.EndOn.Format(time.DateOnly)}})
	})
	return had, err
}

// checkDay reads a scheduled end's day: a date after today (UTC), within
// MaxScheduleAhead years.
func (s *Service) checkDay(raw string) (time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return time.Time{}, &apierr.FieldError{Field: "end_on", Message: "Choose the day the partnership ends."}
	}
	day, err := time.Parse(time.DateOnly, raw)
	if err != nil {
		return time.Time{}, &apierr.FieldError{Field: "end_on", Message: "Enter the day as a date, like 2027-03-31."}
	}
	today := Today(s.now())
	switch {
	case !day.After(today):
		return time.Time{}, &apierr.FieldError{Field: "end_on",
			Message: "Choose a day after today (" + today.Format(time.DateOnly) + "). To end the partnership now, use End partnership."}
	case day.After(today.AddDate(MaxScheduleAhead, 0, 0)):
		return time.Time{}, &apierr.FieldError{Field: "end_on",
			Message: fmt.Sprintf("Choose a day within %d years, by %s.", MaxScheduleAhead, today.AddDate(MaxScheduleAhead, 0, 0).Format(time.DateOnly))}
	}
	return day, nil
}

// Today is the day of t in UTC, the calendar scheduled ends follow.
func Today(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// lockLive locks the partner's row for a change of its lifecycle, which
// only a partnership that has not ended may take: ErrEnded otherwise.
func lockLive(ctx context.Context, tx *store.Store, partnerID int64) (*store.Partner, error) {
	p, err := tx.LockPartner(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	if p.Status == store.PartnerEnded {
		return nil, ErrEnded
	}
	return p, nil
}
