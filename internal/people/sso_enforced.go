package people

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/auth"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// JoinThroughSSOError says a partner enforces its identity provider, so
// nobody joins it by invitation: the provider's assignment decides who
// belongs, and the account is created at the person's first sign-in.
type JoinThroughSSOError struct {
	Partner  string
	Provider string
}

func (e *JoinThroughSSOError) Error() string {
	return fmt.Sprintf("People join %s through %s: assign them there; their account is created when they first sign in.", e.Partner, e.Provider)
}

// JoinsThroughSSO returns a *JoinThroughSSOError when the partner enforces
// its identity provider (invitations are then refused), nil otherwise.
func (s *Service) JoinsThroughSSO(ctx context.Context, partnerID int64) error {
	return joinsThroughSSO(ctx, s.store, partnerID)
}

func joinsThroughSSO(ctx context.Context, tx *store.Store, partnerID int64) error {
	p, err := tx.PartnerIdentityProvider(ctx, partnerID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !p.Enforced {
		return nil
	}
	return &JoinThroughSSOError{Partner: p.PartnerName, Provider: p.DisplayName}
}

// passwordBySSO reports whether u's password is out of use because u's
// organisation enforces its identity provider; other errors are returned.
func passwordBySSO(ctx context.Context, tx *store.Store, u *store.User) (bool, error) {
	err := auth.SSORequired(ctx, tx, u)
	var req *auth.SSORequiredError
	if errors.As(err, &req) {
		return true, nil
	}
	return false, err
}

// welcomeThroughSSO finishes CreateStaff for an account manager while the
// staff's identity provider is enforced: no link to choose a password
// (it could not be used), but a mail saying to sign in through provider.
func (s *Service) welcomeThroughSSO(ctx context.Context, tx *store.Store, actor access.Actor, u *store.User, provider string) error {
	err := audit.Record(ctx, tx, audit.Event{Action: "staff.create", TargetType: "user", TargetID: u.ID, Target: u.Email,
		Details: map[string]any{"name": u.Name, "role": u.Role}})
	if err != nil {
		return err
	}
	inviter := inviterName(ctx, tx, actor)
	link := s.baseURL + "/sign-in"
	return s.outbox.Enqueue(ctx, tx, pmail.Message{
		ToEmail: u.Email, ToName: u.Name,
		Subject: inviter + " gave you access to Portico",
		Text: fmt.Sprintf("Hello %s,\n\n%s gave you access to the Portico partner portal as an account manager.\n\n"+
			"You sign in through %s: enter this email address (%s) here and continue there:\n%s\n", u.Name, inviter, provider, u.Email, link),
		HTML: simpleHTML("Hello "+u.Name+",", inviter+" gave you access to the Portico partner portal as an account manager.",
			link, "Sign in", "You sign in through "+provider+": enter this email address ("+u.Email+") and continue there."),
	})
}
