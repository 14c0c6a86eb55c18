package hygiene

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// Errors of Narrow.
var (
	// ErrNotFound is a credential that does not exist or that the actor
	// may not see.
	ErrNotFound = errors.New("credential not found")
	// ErrForbidden is a credential the actor sees but may not narrow.
	ErrForbidden = errors.New("not allowed to narrow this credential")
	// ErrClosed is a revoked or expired credential.
	ErrClosed = errors.New("credential revoked or expired")
	// ErrNothingUsed is a credential that used none of its API scopes in
	// UsageWindow: narrowing would leave it nothing, revoking is the step.
	ErrNothingUsed = errors.New("credential used none of its scopes")
	// ErrNothingToDrop is a credential that used every scope it holds.
	ErrNothingToDrop = errors.New("credential used every scope it holds")
)

// Narrowing is what narrowing a credential would do (Plan) or did
// (Narrow): the scopes it keeps and those it drops.
type Narrowing struct {
	Token store.Token
	Keep  []string
	Drop  []string
}

// Plan works out the narrowing of credential id for actor without
// changing anything, for the confirmation page.
func (s *Service) Plan(ctx context.Context, actor access.Actor, id int64) (*Narrowing, error) {
	return s.plan(ctx, s.store, actor, id)
}

func (s *Service) plan(ctx context.Context, q *store.Store, actor access.Actor, id int64) (*Narrowing, error) {
	t, err := q.TokenByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	switch access.CanToken(actor, access.NarrowToken, t.UserID, t.PartnerID) {
	case access.Allow:
	case access.Deny:
		return nil, ErrForbidden
	default:
		return nil, ErrNotFound
	}
	if st := t.Status(s.now()); st == "revoked" || st == "expired" {
		return nil, ErrClosed
	}
	cs, err := s.assess(ctx, []store.HygieneToken{{Token: *t}})
	if err != nil {
		return nil, err
	}
	c := cs[0]
	if len(c.Used) == 0 {
		return nil, ErrNothingUsed
	}
	n := &Narrowing{Token: *t, Drop: append(slices.Clone(c.Unused), c.NotGranted...)}
	if len(n.Drop) == 0 {
		return nil, ErrNothingToDrop
	}
	for _, sc := range t.Scopes {
		if !slices.Contains(n.Drop, sc) {
			n.Keep = append(n.Keep, sc) // used API scopes and portal scopes
		}
	}
	return n, nil
}

// Narrow drops the scopes credential id did not use in UsageWindow (and
// those its owner is no longer granted), keeping its secret, in one
// transaction with its audit event ("token.narrow", from and to) and, when
// someone other than the owner narrows it, a mail to the owner.
func (s *Service) Narrow(ctx context.Context, actor access.Actor, id int64) (*Narrowing, error) {
	var n *Narrowing
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		// Planned again when it is done: the page the person confirmed
		// may be stale (a call since, a grant taken back).
		var err error
		if n, err = s.plan(ctx, tx, actor, id); err != nil {
			return err
		}
		if err := tx.SetTokenScopes(ctx, id, n.Keep); err != nil {
			return err
		}
		t := n.Token
		if actor.UserID != t.UserID {
			owner, err := tx.UserByID(ctx, t.UserID)
			if err != nil {
				return err
			}
			if err := s.outbox.Enqueue(ctx, tx, pmail.Notice{
				ToEmail: owner.Email, ToName: owner.Name, Subject: fmt.Sprintf("Your token “%s” was narrowed", t.Name),
				Greeting: "Hello " + owner.Name + ",",
				Lines: []string{
					fmt.Sprintf("Your %s token “%s” (%s) no longer holds %s: it had not used them in 30 days. It keeps %s, with the same secret.",
						t.Environment, t.Name, t.Hint, strings.Join(n.Drop, ", "), strings.Join(n.Keep, ", ")),
					"If a job needs a dropped scope, create a token that holds it.",
				},
				Link: s.baseURL + "/tokens", LinkLabel: "Your tokens", Closing: "— Portico",
			}.Message()); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.narrow", PartnerID: t.PartnerID, TargetType: "token", TargetID: id, Target: t.Name,
			Details: map[string]any{"hint": t.Hint, "owner": t.OwnerEmail, "from": []string(t.Scopes), "to": n.Keep},
		})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
