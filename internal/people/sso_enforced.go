package people

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/auth"
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
