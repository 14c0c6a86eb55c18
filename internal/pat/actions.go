package pat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/internal/webhook"
)

// Revoke ends a token at once. When someone other than the owner revokes
// it, the owner is told by mail.
func (s *Service) Revoke(ctx context.Context, actor access.Actor, id int64) (*store.Token, error) {
	t, err := s.load(ctx, actor, access.RevokeToken, id)
	if err != nil {
		return nil, err
	}
	if t.RevokedAt != nil {
		return t, ErrClosed
	}
	reason := "revoked by its owner"
	if actor.UserID != t.UserID {
		reason = "revoked by a partner admin"
		if actor.Staff() {
			reason = "revoked by the API provider"
		}
	}
	by := actor.UserID
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.RevokeToken(ctx, id, &by, reason); err != nil {
			return err
		}
		if actor.UserID != t.UserID {
			owner, err := tx.UserByID(ctx, t.UserID)
			if err != nil {
				return err
			}
			if err := s.notify(ctx, tx, owner.Email, owner.Name, fmt.Sprintf("Your %s “%s” was revoked", noun(t), t.Name), "/tokens", "Your tokens",
				fmt.Sprintf("Your %s %s “%s” (%s) was %s on %s. Calls with it are refused from now on.",
					t.Environment, noun(t), t.Name, t.Hint, reason, s.now().UTC().Format("2 January 2006, 15:04 UTC")),
				"If you still need access, create a new one; ask your partner admin if you do not know why this happened."); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.revoke", PartnerID: t.PartnerID, TargetType: "token", TargetID: id, Target: t.Name,
			Details: map[string]any{"hint": t.Hint, "owner": t.OwnerEmail, "reason": reason},
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return t, ErrClosed // revoked by someone else meanwhile
	}
	if err != nil {
		return nil, err
	}
	return s.store.TokenByID(ctx, id)
}

// Regenerate gives the owner's token a new secret with the same settings.
// With a grace period (at most a day) the old secret keeps working until
// it ends, so a deployment can switch over; without one it stops at once.
func (s *Service) Regenerate(ctx context.Context, actor access.Actor, id int64, grace time.Duration) (*Created, error) {
	t, err := s.load(ctx, actor, access.RegenerateToken, id)
	if err != nil {
		return nil, err
	}
	if t.Status(s.now()) == "revoked" || t.Status(s.now()) == "expired" {
		return nil, ErrClosed
	}
	if grace < 0 || grace > MaxGrace {
		return nil, &apierr.FieldError{Field: "grace", Message: "The old secret may keep working for at most 24 hours."}
	}
	kind := token.KindSandbox
	switch {
	case t.IsClient():
		kind = token.KindClientSecret // rotating an OAuth client's secret
	case t.Environment == store.EnvLive:
		kind = token.KindLive
	}
	plain, err := token.New(kind)
	if err != nil {
		return nil, fmt.Errorf("regenerate token %d: %w", id, err)
	}
	// The new secret gets the lifetime the token was created with, within
	// today's maximum: regenerating is how a token is renewed.
	lifetime, err := s.store.TokenLifetimeOf(ctx, t.PartnerID)
	if err != nil {
		return nil, err
	}
	life := min(t.ExpiresAt.Sub(t.CreatedAt), time.Duration(lifetime.Days())*24*time.Hour)
	expires := s.now().Add(life)
	var until *time.Time
	if grace > 0 {
		u := s.now().Add(grace)
		until = &u
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.RegenerateToken(ctx, id, s.hasher.Hash(plain), token.Hint(plain), expires, until); err != nil {
			return err
		}
		if t.IsClient() {
			// Access tokens got with the old secret end with it: a
			// rotation after a leak leaves the leaker nothing.
			end := s.now()
			if until != nil {
				end = *until
			}
			if _, err := tx.EndAccessTokensBy(ctx, id, end); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.regenerate", PartnerID: t.PartnerID, TargetType: "token", TargetID: id, Target: t.Name,
			Details: map[string]any{"old_hint": t.Hint, "hint": token.Hint(plain), "grace_seconds": int(grace / time.Second)},
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrClosed
	}
	if err != nil {
		return nil, err
	}
	nt, err := s.store.TokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &Created{Token: nt, Plaintext: plain}, nil
}

// Rename changes the name of the owner's token.
func (s *Service) Rename(ctx context.Context, actor access.Actor, id int64, raw string) (*store.Token, error) {
	return s.Update(ctx, actor, id, Change{Name: &raw})
}

// SetRateLimit gives the owner's open token its own limit of requests per
// minute, or removes it (nil), so only the partner's access-group limits
// apply. Gateways apply the change within moments (the credential caches
// drop the token on its notification).
func (s *Service) SetRateLimit(ctx context.Context, actor access.Actor, id int64, perMinute *int) (*store.Token, error) {
	return s.Update(ctx, actor, id, Change{SetRateLimit: true, RatePerMinute: perMinute})
}

// Change is what Update changes on a token; what it leaves unset stays.
type Change struct {
	// Name is the new name; nil keeps it.
	Name *string
	// SetRateLimit replaces the token's own rate limit by RatePerMinute
	// (nil removes it).
	SetRateLimit  bool
	RatePerMinute *int
}

// Update changes the owner's token: its name and its own rate limit, in
// one transaction, each change with its audit event ("token.rename",
// "token.rate_limit" with from and to). A rate limit is refused on a
// revoked or expired token (ErrClosed); setting the one it has records
// nothing.
func (s *Service) Update(ctx context.Context, actor access.Actor, id int64, ch Change) (*store.Token, error) {
	act := access.RenameToken
	if ch.Name == nil {
		act = access.LimitToken
	}
	t, err := s.load(ctx, actor, act, id)
	if err != nil {
		return nil, err
	}
	if ch.Name != nil && ch.SetRateLimit && access.CanToken(actor, access.LimitToken, t.UserID, t.PartnerID) != access.Allow {
		return nil, ErrForbidden
	}
	name := t.Name
	if ch.Name != nil {
		if name, err = checkName(*ch.Name); err != nil {
			return nil, err
		}
	}
	limitChanged := false
	if ch.SetRateLimit {
		if err := checkRateLimit(ch.RatePerMinute); err != nil {
			return nil, err
		}
		if st := t.Status(s.now()); st == "revoked" || st == "expired" {
			return t, ErrClosed
		}
		limitChanged = !sameLimit(t.RateLimitPerMinute, ch.RatePerMinute)
	}
	if ch.Name == nil && !limitChanged {
		return t, nil
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if ch.Name != nil {
			if err := tx.RenameToken(ctx, id, name); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{
				Action: "token.rename", PartnerID: t.PartnerID, TargetType: "token", TargetID: id, Target: name,
				Details: map[string]any{"from": t.Name, "to": name, "hint": t.Hint},
			}); err != nil {
				return err
			}
		}
		if !limitChanged {
			return nil
		}
		if err := tx.SetTokenRateLimit(ctx, id, ch.RatePerMinute); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.rate_limit", PartnerID: t.PartnerID, TargetType: "token", TargetID: id, Target: name,
			Details: map[string]any{"from": t.RateLimitPerMinute, "to": ch.RatePerMinute, "hint": t.Hint},
		})
	})
	if err != nil {
		return nil, err
	}
	t.Name = name
	if limitChanged {
		t.RateLimitPerMinute = nil
		if ch.RatePerMinute != nil {
			n := *ch.RatePerMinute
			t.RateLimitPerMinute = &n
		}
	}
	return t, nil
}

func sameLimit(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// Approve lets a pending live token work.
func (s *Service) Approve(ctx context.Context, actor access.Actor, id int64) (*store.Token, error) {
	t, err := s.load(ctx, actor, access.ApproveToken, id)
	if err != nil {
		return nil, err
	}
	if t.Status(s.now()) != "pending" {
		return t, ErrClosed
	}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.ApproveToken(ctx, id, actor.UserID); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, t.OwnerEmail, t.OwnerName, fmt.Sprintf("Your live token “%s” was approved", t.Name), "/tokens", "Your tokens",
			fmt.Sprintf("Your live token “%s” (%s) was approved and works from now on.", t.Name, t.Hint)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.approve", PartnerID: t.PartnerID, TargetType: "token", TargetID: id, Target: t.Name,
			Details: map[string]any{"hint": t.Hint, "owner": t.OwnerEmail},
		})
	})
	if errors.Is(err, store.ErrNotFound) {
		return t, ErrClosed
	}
	if err != nil {
		return nil, err
	}
	return s.store.TokenByID(ctx, id)
}

// noun is what mails call the row: a token, or an OAuth client.
func noun(t *store.Token) string {
	if t.IsClient() {
		return "OAuth client"
	}
	return "token"
}

// notify queues a short notice to one person in tx, with a button to
// the portal page at path.
func (s *Service) notify(ctx context.Context, tx *store.Store, toEmail, toName, subject, path, label string, lines ...string) error {
	return s.outbox.Enqueue(ctx, tx, pmail.Notice{
		ToEmail: toEmail, ToName: toName, Subject: subject,
		Greeting: "Hello " + toName + ",", Lines: lines,
		Link: s.baseURL + path, LinkLabel: label, Closing: "— Portico",
	}.Message())
}

// mailApprovers tells the partner's admins a live token waits for them.
func (s *Service) mailApprovers(ctx context.Context, tx *store.Store, t *store.Token) error {
	admins, err := tx.PartnerAdmins(ctx, t.PartnerID)
	if err != nil {
		return err
	}
	for _, a := range admins {
		if err := s.notify(ctx, tx, a.Email, a.Name, fmt.Sprintf("%s asks for a live %s", t.OwnerName, noun(t)), "/tokens/partner", "Review tokens",
			fmt.Sprintf("%s (%s) created the live %s “%s” (%s). It works once a partner admin approves it.", t.OwnerName, t.OwnerEmail, noun(t), t.Name, t.Hint)); err != nil {
			return err
		}
	}
	return nil
}

// SendExpiryNotices queues the mails of tokens expiring within seven days
// and within one day, each once, and returns how many.
func (s *Service) SendExpiryNotices(ctx context.Context) (int, error) {
	n := 0
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		due, err := tx.ClaimExpiryNotices(ctx, s.now())
		if err != nil {
			return err
		}
		for _, t := range due {
			when := "in 7 days"
			if t.Days == 1 {
				when = "within a day"
			}
			advice := "Regenerate it or create a new one before then so your integration keeps working."
			if t.IsClient() {
				advice = "Rotate its secret before then (the new secret renews it) so your integration keeps working."
			}
			if err := s.notify(ctx, tx, t.OwnerEmail, t.OwnerName, fmt.Sprintf("Your %s “%s” expires %s", noun(&t.Token), t.Name, when), "/tokens", "Your tokens",
				fmt.Sprintf("Your %s %s “%s” (%s) expires on %s.", t.Environment, noun(&t.Token), t.Name, t.Hint, t.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC")),
				advice); err != nil {
				return err
			}
			if err := webhook.QueueCredentialExpiring(ctx, tx, &t.Token); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
