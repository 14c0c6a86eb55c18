package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// SSORequiredError says the account's password does not work: its
// organisation enforces signing in through its identity provider. It is
// only ever answered after the password was checked right (or to a user
// already signed in), so it tells a guesser nothing about accounts.
type SSORequiredError struct {
	// Partner names the user's partner; "" for the provider's staff.
	Partner string
	// Provider is the identity provider's display name.
	Provider string
}

func (e *SSORequiredError) Error() string {
	who := e.Partner
	if who == "" {
		who = "staff"
	}
	return fmt.Sprintf("%s must sign in through %s", who, e.Provider)
}

// enforcement says how an enforced identity provider bears on u's
// password: refused (a *SSORequiredError) for a member of a partner that
// enforces its provider, and for an account manager when the staff's is
// enforced; a platform admin keeps the password as break-glass (so that a
// broken or lost provider cannot lock the portal's owners out), which
// breakGlass reports.
func enforcement(ctx context.Context, s *store.Store, u *store.User) (refused *SSORequiredError, breakGlass bool, err error) {
	var p *store.IdentityProvider
	switch {
	case u.PartnerID != nil:
		p, err = s.PartnerIdentityProvider(ctx, *u.PartnerID)
	case u.IsStaff():
		p, err = s.StaffIdentityProvider(ctx)
	default:
		return nil, false, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !p.Enforced {
		return nil, false, nil
	}
	if u.Role == store.RoleAdmin {
		return nil, true, nil
	}
	return &SSORequiredError{Partner: p.PartnerName, Provider: p.DisplayName}, false, nil
}

// SSORequired returns a *SSORequiredError when u may not use a password
// (to sign in, confirm, change or reset it) because u's organisation
// enforces its identity provider; nil when u may.
func SSORequired(ctx context.Context, s *store.Store, u *store.User) error {
	refused, _, err := enforcement(ctx, s, u)
	if err != nil {
		return err
	}
	if refused != nil {
		return refused
	}
	return nil
}

// passwordSignIn decides, once u's password was checked right, whether
// the password may sign u in: a refusal is audited and answered as a
// *SSORequiredError; a platform admin's break-glass sign-in returns the
// details its sign-in event carries, so it stands out in the trail.
func passwordSignIn(ctx context.Context, s *store.Store, u *store.User) (details map[string]any, err error) {
	refused, breakGlass, err := enforcement(ctx, s, u)
	if err != nil {
		return nil, err
	}
	if refused != nil {
		err := s.InTx(ctx, func(tx *store.Store) error {
			return audit.Record(ctx, tx, userEvent("user.sign_in_failed", u, true, map[string]any{"reason": "sso_required"}))
		})
		if err != nil {
			return nil, err
		}
		return nil, refused
	}
	if breakGlass {
		return map[string]any{"break_glass": true}, nil
	}
	return nil, nil
}
