// Package auth checks sign-in attempts: the password, the account's and the
// partner's state, and the throttle that slows guessing per account and per
// IP address. It answers the same way whether or not an email exists.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

// Throttle policy. Two budgets, counted apart (store.AttemptCounter rows)
// and each taken before the password is checked, in the transaction that
// decides, so concurrent attempts cannot all pass one check:
//
//   - Per account (the email typed, existing or not): FreePerEmail attempts
//     are free in a Window from the first one; from the FreePerEmail-th on,
//     each attempt makes the next wait firstWait, doubling up to MaxWait. A
//     right password clears the account's count. Confirming the password of
//     a signed-in session spends the same budget.
//   - Per client address: FreePerIP attempts in a Window; past that the
//     address is not locked out but slowed to one attempt per IPSlot, so a
//     shared office NAT keeps signing people in (at that rate) while a
//     guesser behind it gets IPSlot-spaced guesses, each still charged to
//     the account guessed. A right password gives its own attempt back.
const (
	Window       = 15 * time.Minute
	FreePerEmail = 5
	FreePerIP    = 20
	IPSlot       = 10 * time.Second
	firstWait    = 30 * time.Second
	MaxWait      = 15 * time.Minute
)

// maxEmail is the longest address an account can have (RFC 5321).
const maxEmail = 254

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

// takeAccount spends one attempt of an account's budget, or says how long
// to wait.
func takeAccount(c *store.AttemptCounter, now time.Time) time.Duration {
	if c.BlockedUntil != nil && c.BlockedUntil.After(now) {
		return c.BlockedUntil.Sub(now)
	}
	if !now.Before(c.WindowStart.Add(Window)) || c.Count == 0 {
		c.WindowStart, c.Count = now, 0
	}
	c.Count++
	c.BlockedUntil = nil
	if c.Count >= FreePerEmail {
		d := min(firstWait<<min(c.Count-FreePerEmail, 10), MaxWait)
		until := now.Add(d)
		c.BlockedUntil = &until
	}
	return 0
}

// takeIP spends one attempt of an address's budget, or says how long to
// wait: over the budget, one attempt per IPSlot.
func takeIP(c *store.AttemptCounter, now time.Time) time.Duration {
	if !now.Before(c.WindowStart.Add(Window)) || c.Count == 0 {
		c.WindowStart, c.Count, c.BlockedUntil = now, 0, nil
	}
	if c.Count < FreePerIP {
		c.Count++
		return 0
	}
	if c.BlockedUntil != nil && c.BlockedUntil.After(now) {
		return c.BlockedUntil.Sub(now)
	}
	c.Count++
	next := now.Add(IPSlot)
	c.BlockedUntil = &next
	return 0
}

// keep is how long a counter must outlive its last change.
func keep(c *store.AttemptCounter) time.Time {
	t := c.WindowStart.Add(Window)
	if c.BlockedUntil != nil && c.BlockedUntil.After(t) {
		t = *c.BlockedUntil
	}
	return t
}

// AddressKey is the key of a client address in the per-address budgets:
// an IPv4 address itself, an IPv6 address's /64, since one host commonly
// holds a whole /64 and would otherwise have 2^64 budgets.
func AddressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// take spends an attempt of the account's budget and, when ip is set, of
// the address's, in one transaction holding both rows (always account
// first, so two attempts never wait on each other in a cycle). Refused by
// either, nothing is spent and the wait is returned.
func take(ctx context.Context, s *store.Store, email, ip string, now time.Time) (time.Duration, error) {
	if w, err := refused(ctx, s, email, ip, now); w > 0 || err != nil {
		return w, err
	}
	var wait time.Duration
	err := s.InTx(ctx, func(tx *store.Store) error {
		acct, err := tx.LockAttemptCounter(ctx, store.CounterSignInAccount, store.SignInAccountKey(email))
		if err != nil {
			return err
		}
		if wait = takeAccount(acct, now); wait > 0 {
			return nil
		}
		if ip != "" {
			byIP, err := tx.LockAttemptCounter(ctx, store.CounterSignInIP, ip)
			if err != nil {
				return err
			}
			if wait = takeIP(byIP, now); wait > 0 {
				return nil
			}
			if err := tx.SaveAttemptCounter(ctx, byIP, keep(byIP)); err != nil {
				return err
			}
		}
		return tx.SaveAttemptCounter(ctx, acct, keep(acct))
	})
	if err != nil {
		return 0, err
	}
	if wait > 0 {
		// Nothing was spent: the rows are as they were, expiring as before.
		return wait, nil
	}
	// Expired counters go in passing; a failure here changes no answer.
	_ = s.PruneAttemptCounters(ctx)
	return 0, nil
}

// refused answers, from plain reads, an attempt that either budget
// refuses as things stand: a flood of attempts past the budget then costs
// no row lock and no write. Zero means "decide under the lock".
func refused(ctx context.Context, s *store.Store, email, ip string, now time.Time) (time.Duration, error) {
	acct, err := s.PeekAttemptCounter(ctx, store.CounterSignInAccount, store.SignInAccountKey(email))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	if acct != nil && acct.BlockedUntil != nil && acct.BlockedUntil.After(now) {
		return acct.BlockedUntil.Sub(now), nil
	}
	if ip == "" {
		return 0, nil
	}
	byIP, err := s.PeekAttemptCounter(ctx, store.CounterSignInIP, ip)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	if byIP != nil && byIP.Count >= FreePerIP && now.Before(byIP.WindowStart.Add(Window)) &&
		byIP.BlockedUntil != nil && byIP.BlockedUntil.After(now) {
		return byIP.BlockedUntil.Sub(now), nil
	}
	return 0, nil
}

var (
	dummyOnce sync.Once
	dummyHash string
)

// SignIn checks email and password from ip and returns the user. The
// attempt is counted against the account's and the address's budgets
// before the password is checked; *ThrottledError when either is spent.
// A right password of a user whose organisation enforces its identity
// provider is a *SSORequiredError (a wrong one is ErrBadCredentials, as
// for anyone).
func SignIn(ctx context.Context, s *store.Store, email, pw, ip string) (*store.User, error) {
	email, ip = store.NormalizeEmail(email), AddressKey(ip)
	if w, err := take(ctx, s, email, ip, time.Now()); err != nil {
		return nil, err
	} else if w > 0 {
		return nil, &ThrottledError{Wait: w}
	}
	var u *store.User
	// What cannot be an account's address (too long for one, or with a
	// character PostgreSQL refuses in text) is answered like an unknown one.
	if len(email) <= maxEmail && textcheck.Line(email) == "" {
		var err error
		if u, err = s.UserByEmail(ctx, email); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if u == nil || u.PasswordHash == nil {
		// Spend the same time as a real check, so timing does not tell
		// which emails have accounts.
		dummyOnce.Do(func() { dummyHash, _ = password.Hash("portico-dummy-password") })
		_ = password.Verify(dummyHash, pw)
		return nil, fail(ctx, s, nil)
	}
	if err := password.Verify(*u.PasswordHash, pw); err != nil {
		return nil, fail(ctx, s, u)
	}
	if err := s.InTx(ctx, func(tx *store.Store) error {
		// The right password: the account's count starts over and the
		// address gets this attempt back (its budget counts failures).
		if err := tx.ClearSignInFailures(ctx, email); err != nil {
			return err
		}
		if ip == "" {
			return nil
		}
		return tx.RefundAttempt(ctx, store.CounterSignInIP, ip)
	}); err != nil {
		return nil, err
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
	details, err := passwordSignIn(ctx, s, u)
	if err != nil {
		return nil, err
	}
	err = s.InTx(ctx, func(tx *store.Store) error {
		if err := tx.RecordSignIn(ctx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, userEvent("user.sign_in", u, true, details))
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

// fail answers a wrong password, already counted by take. One on an
// existing account u is audited; an unknown email is not (what was typed
// may be a password).
func fail(ctx context.Context, s *store.Store, u *store.User) error {
	if u == nil {
		return ErrBadCredentials
	}
	err := s.InTx(ctx, func(tx *store.Store) error {
		return audit.Record(ctx, tx, userEvent("user.sign_in_failed", u, false, map[string]any{"reason": "wrong_password"}))
	})
	if err != nil {
		return err
	}
	return ErrBadCredentials
}

// ConfirmPassword checks the password of signed-in user u again (to open
// the recent-authentication window). It spends u's account budget like a
// sign-in, but not the address's: a typo in one session must not slow the
// colleagues behind the same address. *ThrottledError when the budget is
// spent; ErrBadCredentials when the password is wrong; *SSORequiredError, before
// any check, when u's organisation enforces its identity provider.
func ConfirmPassword(ctx context.Context, s *store.Store, u *store.User, pw string) error {
	if err := SSORequired(ctx, s, u); err != nil {
		return err
	}
	if w, err := take(ctx, s, store.NormalizeEmail(u.Email), "", time.Now()); err != nil {
		return err
	} else if w > 0 {
		return &ThrottledError{Wait: w}
	}
	if u.PasswordHash == nil || password.Verify(*u.PasswordHash, pw) != nil {
		return ErrBadCredentials
	}
	return s.ClearSignInFailures(ctx, u.Email)
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
