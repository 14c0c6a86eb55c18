// Package auth checks sign-in attempts: the password, the account's and the
// partner's state, and the throttle that slows guessing per account and per
// IP address. It answers the same way whether or not an email exists.
package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
)

// Throttle policy: this many failures within Window are free; after that
// each further failure doubles the wait, up to MaxWait.
const (
	Window       = 15 * time.Minute
	FreePerEmail = 5
	FreePerIP    = 20
	firstWait    = 30 * time.Second
	MaxWait      = 15 * time.Minute
)

// ErrBadCredentials is the one answer for an unknown email or a wrong password.
var ErrBadCredentials = errors.New("email or password is incorrect")

// ErrPartnerSuspended means the credentials are right but the user's partner
// is suspended.
var ErrPartnerSuspended = errors.New("partner suspended")

// ThrottledError says sign-in is refused until Wait has passed.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; wait %s", e.Wait)
}

// wait returns how long to refuse after n failures of which free are
// allowed, the last at last.
func wait(n, free int, last *time.Time, now time.Time) time.Duration {
	if n < free || last == nil {
		return 0
	}
	d := firstWait << min(n-free, 10)
	d = min(d, MaxWait)
	if until := last.Add(d); until.After(now) {
		return until.Sub(now)
	}
	return 0
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// SignIn checks email and password from ip and returns the user.
func SignIn(ctx context.Context, s *store.Store, email, pw, ip string) (*store.User, error) {
	now := time.Now()
	byEmail, byIP, err := s.SignInFailures(ctx, email, ip, now.Add(-Window))
	if err != nil {
		return nil, err
	}
	if w := max(wait(byEmail.Count, FreePerEmail, byEmail.Last, now), wait(byIP.Count, FreePerIP, byIP.Last, now)); w > 0 {
		return nil, &ThrottledError{Wait: w}
	}
	u, err := s.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if u == nil || u.PasswordHash == nil {
		// Spend the same time as a real check, so timing does not tell
		// which emails have accounts.
		dummyOnce.Do(func() { dummyHash, _ = password.Hash("portico-dummy-password") })
		_ = password.Verify(dummyHash, pw)
		return nil, fail(ctx, s, email, ip, nil)
	}
	if err := password.Verify(*u.PasswordHash, pw); err != nil {
		return nil, fail(ctx, s, email, ip, u)
	}
	if u.PartnerID != nil {
		p, err := s.PartnerByID(ctx, *u.PartnerID)
		if err != nil {
			return nil, err
		}
		if p.Status != store.PartnerActive {
			err := s.InTx(ctx, func(tx *store.Store) error {
				return audit.Record(ctx, tx, userEvent("user.sign_in_failed", u, true, map[string]any{"reason": "partner_suspended"}))
			})
			if err != nil {
				return nil, err
			}
			return nil, ErrPartnerSuspended
		}
	}
	err = s.InTx(ctx, func(tx *store.Store) error {
		if err := tx.ClearSignInFailures(ctx, email); err != nil {
			return err
		}
		if err := tx.RecordSignIn(ctx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, userEvent("user.sign_in", u, true, nil))
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// userEvent is the audit event of a sign-in attempt on u's account. No
// session exists yet: when the password was right, the event names u as
// the actor; a wrong one could have been typed by anybody.
func userEvent(action string, u *store.User, verified bool, details map[string]any) audit.Event {
	e := audit.Event{Action: action, TargetType: "user", TargetID: u.ID, Target: u.Email, Details: details}
	if verified {
		e.ActorID = u.ID
	}
	if u.PartnerID != nil {
		e.PartnerID = *u.PartnerID
	}
	return e
}

// fail counts a failed attempt. One on an existing account u is also
// audited; an unknown email is not (what was typed may be a password).
func fail(ctx context.Context, s *store.Store, email, ip string, u *store.User) error {
	err := s.InTx(ctx, func(tx *store.Store) error {
		if err := tx.RecordSignInFailure(ctx, email, ip); err != nil {
			return err
		}
		if u == nil {
			return nil
		}
		return audit.Record(ctx, tx, userEvent("user.sign_in_failed", u, false, map[string]any{"reason": "wrong_password"}))
	})
	if err != nil {
		return err
	}
	return ErrBadCredentials
}

// SignOut ends every session of u, on every device, and records it.
func SignOut(ctx context.Context, s *store.Store, u *store.User) error {
	return s.InTx(ctx, func(tx *store.Store) error {
		n, err := tx.DeleteUserSessions(ctx, u.ID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, userEvent("user.sign_out", u, true, map[string]any{"sessions_ended": n}))
	})
}
