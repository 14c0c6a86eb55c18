package people

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// Email change policy.
const (
	// EmailChangeTTL is how long a link confirming a new email works.
	EmailChangeTTL = 24 * time.Hour
	// EmailChangesPerHour bounds change requests per user: each one mails
	// an address the user typed, so the portal must not become a way to
	// mail-bomb it.
	EmailChangesPerHour = 5
)

// Errors of email changes.
var (
	// ErrEmailUnchanged means the address asked for is the current one.
	ErrEmailUnchanged = errors.New("email address unchanged")
	// ErrEmailChangeGone means a confirmation link is unknown, expired,
	// used, cancelled or another user's: one answer for all, since the
	// difference helps nobody who should not have the link.
	ErrEmailChangeGone = errors.New("email change link not valid")
	// ErrEmailChangeTaken means the new address got an account between
	// the request and the confirmation; nothing changed.
	ErrEmailChangeTaken = errors.New("email address taken meanwhile")
)

// RequestEmailChange records a pending move of the user's sign-in email
// to rawEmail and mails the new address; the caller has checked recent
// authentication. The email changes only when the link is opened
// (ConfirmEmailChange), which proves the user owns the new address.
//
// Whether the new address already has an account (another partner's
// member, provider staff) must not show: the change is recorded and
// answered the same either way, but an address with an account gets a
// notice without a link (the link's token is hashed and thrown away), so
// nothing can be confirmed and only the address's owner learns of it.
func (s *Service) RequestEmailChange(ctx context.Context, userID int64, rawEmail string) (*store.EmailChange, error) {
	email, err := checkEmail(rawEmail)
	if err != nil {
		return nil, err
	}
	var ch *store.EmailChange
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Email == email {
			return ErrEmailUnchanged
		}
		// Counting holds the user's counter row until the transaction
		// ends, so concurrent requests of one user run one after the other.
		if err := s.countEmailChange(ctx, tx, userID); err != nil {
			return err
		}
		plain, hash, err := s.newToken(token.KindEmailChange)
		if err != nil {
			return err
		}
		if ch, err = tx.CreateEmailChange(ctx, userID, email, hash, s.now().Add(EmailChangeTTL)); err != nil {
			return err
		}
		_, err = tx.UserByEmail(ctx, email)
		taken := err == nil
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := audit.Record(ctx, tx, memberEvent("user.email_change_request", u, map[string]any{"to": email})); err != nil {
			return err
		}
		msg := emailChangeTakenNotice(u, email)
		if !taken {
			msg = emailChangeMail(u, email, s.baseURL+"/account/email/confirm/"+plain, ch.ExpiresAt)
		}
		return s.outbox.Enqueue(ctx, tx, msg)
	})
	if err != nil {
		return nil, err
	}
	return ch, nil
}

// countEmailChange counts one change request of the user against
// EmailChangesPerHour in the caller's transaction.
func (s *Service) countEmailChange(ctx context.Context, tx *store.Store, userID int64) error {
	return s.countHourly(ctx, tx, store.CounterEmailChange, strconv.FormatInt(userID, 10), EmailChangesPerHour, "email changes can be asked for")
}

// PendingEmailChange returns the user's open change, or nil when there is
// none (or it expired).
func (s *Service) PendingEmailChange(ctx context.Context, userID int64) (*store.EmailChange, error) {
	ch, err := s.store.OpenEmailChange(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !ch.Open(s.now()) {
		return nil, nil
	}
	return ch, nil
}

// CancelEmailChange cancels the user's open change; its link stops
// working. Cancelling when there is none is not an error.
func (s *Service) CancelEmailChange(ctx context.Context, userID int64) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		ch, err := tx.OpenEmailChange(ctx, userID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.CancelEmailChanges(ctx, userID); err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, memberEvent("user.email_change_cancel", u, map[string]any{"to": ch.NewEmail}))
	})
}

// CheckEmailChange returns the change a link confirms, if the link is the
// user's and can still be used; ErrEmailChangeGone otherwise.
func (s *Service) CheckEmailChange(ctx context.Context, userID int64, plain string) (*store.EmailChange, error) {
	var ch *store.EmailChange
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		ch, err = s.openChange(ctx, tx, userID, plain)
		return err
	})
	return ch, err
}

// openChange finds and locks the change of a link, refusing one that is
// not the user's or not open.
func (s *Service) openChange(ctx context.Context, tx *store.Store, userID int64, plain string) (*store.EmailChange, error) {
	if p, err := token.Parse(plain); err != nil || p.Kind != token.KindEmailChange {
		return nil, ErrEmailChangeGone
	}
	ch, err := tx.EmailChangeByTokenHash(ctx, s.hasher.Hash(plain))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrEmailChangeGone
	}
	if err != nil {
		return nil, err
	}
	if ch.UserID != userID || !ch.Open(s.now()) {
		return nil, ErrEmailChangeGone
	}
	return ch, nil
}

// ConfirmEmailChange applies the change of a link opened by its user: the
// sign-in email moves, password reset links (mailed to the old address)
// stop working, every session of the user ends (the caller starts a fresh
// one for itself) and the old address is told. ErrEmailChangeGone for a
// link that cannot be used, ErrEmailChangeTaken (nothing changed) when the
// address got an account since the request.
func (s *Service) ConfirmEmailChange(ctx context.Context, userID int64, plain string) (*store.User, error) {
	var changed store.User
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		ch, err := s.openChange(ctx, tx, userID, plain)
		if err != nil {
			return err
		}
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if u.Status != "active" {
			return ErrEmailChangeGone
		}
		if _, err := tx.UserByEmail(ctx, ch.NewEmail); err == nil {
			return ErrEmailChangeTaken
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// Recorded first, so the actor is named by the address they had.
		changed = *u
		changed.Email = ch.NewEmail
		if err := audit.Record(ctx, tx, memberEvent("user.email_change", &changed, map[string]any{"from": u.Email, "to": ch.NewEmail})); err != nil {
			return err
		}
		if err := tx.SetEmail(ctx, u.ID, ch.NewEmail); errors.Is(err, store.ErrEmailTaken) {
			return ErrEmailChangeTaken // taken by a concurrent request
		} else if err != nil {
			return err
		}
		if err := tx.ConfirmEmailChange(ctx, ch.ID); err != nil {
			return err
		}
		if err := tx.UsePasswordResets(ctx, u.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return s.outbox.Enqueue(ctx, tx, emailChangedNotice(u, ch.NewEmail))
	})
	if err != nil {
		return nil, err
	}
	return &changed, nil
}
