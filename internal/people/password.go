package people

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/auth"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
	"github.com/portico/portico/internal/token"
)

// Password reset policy.
const (
	// ResetTTL is how long a reset link works.
	ResetTTL = time.Hour
	// maxResetsPerHour bounds reset mails per account, against mail bombing.
	maxResetsPerHour = 3
	// ResetRequestsPerAddress bounds reset requests per client address and
	// hour, whatever the email: one address cannot mail a whole directory
	// (three mails each) or probe addresses at speed. Every request counts,
	// for an account or not, so the cap tells nothing about accounts.
	ResetRequestsPerAddress = 20
)

// Errors of reset links.
var (
	ErrResetExpired = errors.New("password reset link expired")
	ErrResetUsed    = errors.New("password reset link already used")
)

// RequestPasswordReset mails a one-time reset link when email belongs to an
// active account. It answers the same whether or not it does, so the form
// does not tell which emails have accounts. A request from ip (empty: not
// counted) over ResetRequestsPerAddress is a *LimitError.
func (s *Service) RequestPasswordReset(ctx context.Context, rawEmail, ip string) error {
	email, err := checkEmail(rawEmail)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		if ip != "" {
			err := s.countHourly(ctx, tx, store.CounterResetRequestIP, auth.AddressKey(ip), ResetRequestsPerAddress,
				"password resets can be asked for from your network")
			if err != nil {
				return err
			}
		}
		u, err := tx.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		// A password out of use (the organisation signs in through its
		// identity provider) gets no link; the page says the same.
		if bySSO, err := passwordBySSO(ctx, tx, u); bySSO || err != nil {
			return err
		}
		// Hold the user's reset counter while counting and adding, so
		// concurrent requests are counted one after the other.
		if _, err := tx.LockAttemptCounter(ctx, store.CounterPasswordReset, strconv.FormatInt(u.ID, 10)); err != nil {
			return err
		}
		n, err := tx.RecentPasswordResets(ctx, u.ID, s.now().Add(-time.Hour))
		if err != nil || n >= maxResetsPerHour {
			return err
		}
		plain, err := token.New(token.KindPasswordReset)
		if err != nil {
			return fmt.Errorf("reset token: %w", err)
		}
		if err := tx.CreatePasswordReset(ctx, u.ID, s.hasher.Hash(plain), s.now().Add(ResetTTL)); err != nil {
			return err
		}
		// Whoever asked is not signed in (and may not be u): the event names
		// the account, never the link; the page answers the same either way.
		if err := audit.Record(ctx, tx, memberEvent("user.password_reset_request", u, nil)); err != nil {
			return err
		}
		link := s.baseURL + "/reset-password/" + plain
		return s.outbox.Enqueue(ctx, tx, pmail.Message{
			ToEmail: u.Email, ToName: u.Name,
			Subject: "Reset your Portico password",
			Text: fmt.Sprintf("Hello %s,\n\nSomeone (hopefully you) asked to reset the password of your Portico account.\n\n"+
				"Choose a new password here:\n%s\n\nThe link works once, for one hour. If you did not ask for it, ignore this mail: your password stays as it is.\n", u.Name, link),
			HTML: simpleHTML("Hello "+u.Name+",", "Someone (hopefully you) asked to reset the password of your Portico account.",
				link, "Choose a new password", "The link works once, for one hour. If you did not ask for it, ignore this mail: your password stays as it is."),
		})
	})
}

// CheckReset says whether a reset link can still be used: also not
// (*auth.SSORequiredError) once its account's organisation enforces its
// identity provider.
func (s *Service) CheckReset(ctx context.Context, plain string) error {
	if p, err := token.Parse(plain); err != nil || p.Kind != token.KindPasswordReset {
		return store.ErrNotFound
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		r, err := tx.PasswordResetByTokenHash(ctx, s.hasher.Hash(plain))
		if err != nil {
			return err
		}
		if err := resetState(r, s.now()); err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, r.UserID)
		if err != nil {
			return err
		}
		return auth.SSORequired(ctx, tx, u)
	})
}

func resetState(r *store.PasswordReset, now time.Time) error {
	switch {
	case r.UsedAt != nil:
		return ErrResetUsed
	case !now.Before(r.ExpiresAt):
		return ErrResetExpired
	}
	return nil
}

// ResetPassword sets a new password through a reset link, voids the user's
// other links and ends every session of the user.
func (s *Service) ResetPassword(ctx context.Context, plain, newPassword string) (*store.User, error) {
	if err := password.Validate(newPassword); err != nil {
		return nil, &apierr.FieldError{Field: "password", Message: "Choose a password: " + err.Error() + "."}
	}
	if p, err := token.Parse(plain); err != nil || p.Kind != token.KindPasswordReset {
		return nil, store.ErrNotFound
	}
	// The new password may not contain the account's address or name:
	// read them first (the transaction below checks the link again), so
	// the slow hash is not computed inside it.
	pre, err := s.store.PasswordResetByTokenHash(ctx, s.hasher.Hash(plain))
	if err != nil {
		return nil, err
	}
	owner, err := s.store.UserByID(ctx, pre.UserID)
	if err != nil {
		return nil, err
	}
	if err := password.Validate(newPassword, owner.Email, owner.Name); err != nil {
		return nil, &apierr.FieldError{Field: "password", Message: "Choose a password: " + err.Error() + "."}
	}
	hash, err := password.Hash(newPassword)
	if err != nil {
		return nil, err
	}
	var u *store.User
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		r, err := tx.PasswordResetByTokenHash(ctx, s.hasher.Hash(plain))
		if err != nil {
			return err
		}
		if err := resetState(r, s.now()); err != nil {
			return err
		}
		if u, err = tx.UserByID(ctx, r.UserID); err != nil {
			return err
		}
		if u.Status != "active" {
			return store.ErrNotFound
		}
		// A link mailed before the organisation enforced its identity
		// provider sets no password: *auth.SSORequiredError.
		if err := auth.SSORequired(ctx, tx, u); err != nil {
			return err
		}
		if err := s.setPassword(ctx, tx, u, hash); err != nil {
			return err
		}
		// The link stands for the user: they act as themselves.
		e := memberEvent("user.password_reset", u, nil)
		e.ActorID = u.ID
		return audit.Record(ctx, tx, e)
	})
	return u, err
}

// setPassword stores the hash, voids reset links, ends every session and
// tells the user by mail.
func (s *Service) setPassword(ctx context.Context, tx *store.Store, u *store.User, hash string) error {
	if err := tx.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	if err := tx.UsePasswordResets(ctx, u.ID); err != nil {
		return err
	}
	if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	if err := tx.ClearSignInFailures(ctx, u.Email); err != nil {
		return err
	}
	return s.outbox.Enqueue(ctx, tx, pmail.Message{
		ToEmail: u.Email, ToName: u.Name,
		Subject: "Your Portico password was changed",
		Text: fmt.Sprintf("Hello %s,\n\nThe password of your Portico account was changed, and every session was signed out.\n\n"+
			"If this was not you, reset your password at once:\n%s/forgot-password\nand tell your organisation's portal admin.\n", u.Name, s.baseURL),
		HTML: simpleHTML("Hello "+u.Name+",", "The password of your Portico account was changed, and every session was signed out.",
			s.baseURL+"/forgot-password", "Reset your password", "If this was not you, reset your password at once and tell your organisation's portal admin."),
	})
}

// ChangePassword changes the signed-in user's password after checking the
// current one. Every session ends, the caller's too: it starts a new one.
// A user whose organisation enforces its identity provider has no
// password to change (*auth.SSORequiredError).
func (s *Service) ChangePassword(ctx context.Context, userID int64, current, newPassword string) error {
	owner, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	if err := auth.SSORequired(ctx, s.store, owner); err != nil {
		return err
	}
	if err := password.Validate(newPassword, owner.Email, owner.Name); err != nil {
		return &apierr.FieldError{Field: "new_password", Message: "Choose a new password: " + err.Error() + "."}
	}
	// The current password is checked against the account's sign-in
	// budget, so a borrowed session cannot guess it without limit.
	err = auth.ConfirmPassword(ctx, s.store, owner, current)
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		return &LimitError{RetryAfter: throttled.Wait,
			Message: "Too many wrong passwords."}
	case errors.Is(err, auth.ErrBadCredentials):
		return &apierr.FieldError{Field: "current_password", Message: "The current password is not right."}
	case err != nil:
		return err
	}
	hash, err := password.Hash(newPassword)
	if err != nil {
		return err
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		// Changed by another request since it was checked: check again.
		if u.PasswordHash == nil || owner.PasswordHash == nil || *u.PasswordHash != *owner.PasswordHash {
			return &apierr.FieldError{Field: "current_password", Message: "The current password is not right."}
		}
		if err := s.setPassword(ctx, tx, u, hash); err != nil {
			return err
		}
		return audit.Record(ctx, tx, memberEvent("user.password_change", u, nil))
	})
}

// ChangeName sets the user's display name.
func (s *Service) ChangeName(ctx context.Context, userID int64, name string) error {
	name = strings.TrimSpace(name)
	if p := textcheck.Line(name); p != "" {
		return &apierr.FieldError{Field: "name", Message: "The name " + p}
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return &apierr.FieldError{Field: "name", Message: "Enter your name (up to 200 characters)."}
	}
	return s.store.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Name == name {
			return nil
		}
		if err := tx.SetName(ctx, userID, name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, memberEvent("user.name_change", u, map[string]any{"from": u.Name, "to": name}))
	})
}
