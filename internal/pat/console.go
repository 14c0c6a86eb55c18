package pat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// The documentation's "Try it" console calls the sandbox with a console
// token: a sandbox personal access token of the signed-in developer that
// lives ConsoleTTL, carries exactly the scopes they are granted on one API
// and is left out of the token lists. Its plaintext is stored nowhere, so
// every page load mints a new one and retires the previous one of that
// API; ConsolePerHour caps how many a user gets.
const (
	ConsoleTTL     = 15 * time.Minute
	ConsolePerHour = 30
	// consoleKeep is how long ended console tokens stay before a later
	// minting deletes them (the hourly cap counts them meanwhile).
	consoleKeep = 24 * time.Hour
)

// ErrNoScopes is an API the actor may read but holds none of the scopes of.
var ErrNoScopes = errors.New("no scope of this API is granted")

// ConsoleLimitError is the hourly cap of console tokens, reached.
type ConsoleLimitError struct {
	// RetryAfter is when the oldest token of the hour stops counting.
	RetryAfter time.Duration
}

func (e *ConsoleLimitError) Error() string {
	return fmt.Sprintf("at most %d console tokens an hour: retry in %s", ConsolePerHour, e.RetryAfter.Round(time.Second))
}

// ConsoleName is the name of a user's console tokens of one API.
func ConsoleName(api string) string { return "Try it console: " + api }

// ConsoleToken mints a console token of the actor for the API with this
// slug. It is refused (ErrForbidden) to staff, who hold no grants;
// ErrNotFound when the API is not granted to the actor now (or retired);
// ErrNoScopes when none of its scopes are; *ConsoleLimitError past the
// hourly cap. The event "token.console" records it, without the secret.
func (s *Service) ConsoleToken(ctx context.Context, actor access.Actor, api string) (*Created, error) {
	if access.Can(actor, access.CreateToken, actor.PartnerID) != access.Allow {
		return nil, ErrForbidden
	}
	granted, err := catalog.EffectiveAccess(ctx, s.store, actor.UserID)
	if err != nil {
		return nil, err
	}
	held := granted.APIs[api]
	if held == nil || held.Status == store.APIRetired {
		return nil, ErrNotFound
	}
	if len(held.Scopes) == 0 {
		return nil, ErrNoScopes
	}
	scopes := make([]string, 0, len(held.Scopes))
	for _, sc := range held.Scopes {
		scopes = append(scopes, api+"/"+sc)
	}
	plain, err := token.New(token.KindSandbox)
	if err != nil {
		return nil, fmt.Errorf("console token: %w", err)
	}
	now := s.now()
	name := ConsoleName(api)
	var created *store.Token
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.LockConsoleTokens(ctx, actor.UserID); err != nil {
			return err
		}
		n, oldest, err := tx.ConsoleTokensSince(ctx, actor.UserID, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if n >= ConsolePerHour {
			return &ConsoleLimitError{RetryAfter: max(oldest.Add(time.Hour).Sub(now), time.Second)}
		}
		if err := tx.DeleteConsoleTokensBefore(ctx, actor.UserID, now.Add(-consoleKeep)); err != nil {
			return err
		}
		replaced, err := tx.RevokeConsoleTokens(ctx, actor.UserID, name, "replaced by a newer console token")
		if err != nil {
			return err
		}
		id, err := tx.InsertConsoleToken(ctx, store.NewToken{
			UserID: actor.UserID, PartnerID: actor.PartnerID, Name: name, Environment: store.EnvSandbox,
			Hash: s.hasher.Hash(plain), Hint: token.Hint(plain), Scopes: scopes, ExpiresAt: now.Add(ConsoleTTL),
		})
		if err != nil {
			return err
		}
		if created, err = tx.TokenByID(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "token.console", PartnerID: actor.PartnerID, TargetType: "token", TargetID: id, Target: name,
			Details: map[string]any{"hint": created.Hint, "api": api, "environment": store.EnvSandbox, "scopes": scopes,
				"expires_at": created.ExpiresAt, "replaced": replaced},
		})
	})
	if err != nil {
		return nil, err
	}
	return &Created{Token: created, Plaintext: plain}, nil
}
