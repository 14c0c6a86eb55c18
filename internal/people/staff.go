package people

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/auth"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
	"github.com/portico/portico/internal/token"
)

// StaffWelcomeTTL is how long the set-your-password link of a new staff
// account works.
const StaffWelcomeTTL = 72 * time.Hour

// CreateStaff creates a provider staff account without a password and
// mails its owner a one-time link to choose one.
func (s *Service) CreateStaff(ctx context.Context, actor access.Actor, name, rawEmail, role string) (*store.User, error) {
	name = strings.TrimSpace(name)
	if p := textcheck.Line(name); p != "" {
		return nil, &apierr.FieldError{Field: "name", Message: "The name " + p}
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, &apierr.FieldError{Field: "name", Message: "Enter the person's name (up to 200 characters)."}
	}
	email, err := checkEmail(rawEmail)
	if err != nil {
		return nil, err
	}
	if role != access.RoleAdmin && role != access.RoleAccountManager {
		return nil, &apierr.FieldError{Field: "role", Message: "Choose a role: platform admin or account manager."}
	}
	var u *store.User
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		u, err = tx.CreateUser(ctx, store.NewUser{Email: email, Name: name, Role: role})
		if errors.Is(err, store.ErrEmailTaken) {
			return &apierr.FieldError{Field: "email", Message: "That address already has an account on this portal."}
		}
		if err != nil {
			return err
		}
		// With the staff's provider enforced, an account manager has no
		// password to choose: they sign in through the provider.
		err = auth.SSORequired(ctx, tx, u)
		var bySSO *auth.SSORequiredError
		if errors.As(err, &bySSO) {
			return s.welcomeThroughSSO(ctx, tx, actor, u, bySSO.Provider)
		}
		if err != nil {
			return err
		}
		plain, err := token.New(token.KindPasswordReset)
		if err != nil {
			return fmt.Errorf("welcome token: %w", err)
		}
		if err := tx.CreatePasswordReset(ctx, u.ID, s.hasher.Hash(plain), s.now().Add(StaffWelcomeTTL)); err != nil {
			return err
		}
		err = audit.Record(ctx, tx, audit.Event{Action: "staff.create", TargetType: "user", TargetID: u.ID, Target: u.Email,
			Details: map[string]any{"name": u.Name, "role": role}})
		if err != nil {
			return err
		}
		inviter := inviterName(ctx, tx, actor)
		link := s.baseURL + "/reset-password/" + plain
		what := "an account manager"
		if role == access.RoleAdmin {
			what = "a platform admin"
		}
		return s.outbox.Enqueue(ctx, tx, pmail.Message{
			ToEmail: u.Email, ToName: u.Name,
			Subject: inviter + " gave you access to Portico",
			Text: fmt.Sprintf("Hello %s,\n\n%s gave you access to the Portico partner portal as %s.\n\nChoose your password here:\n%s\n\n"+
				"The link works once, for 3 days. Afterwards, use \"Forgot your password?\" on the sign-in page.\n", u.Name, inviter, what, link),
			HTML: simpleHTML("Hello "+u.Name+",", inviter+" gave you access to the Portico partner portal as "+what+".",
				link, "Choose your password", "The link works once, for 3 days. Afterwards, use \"Forgot your password?\" on the sign-in page."),
		})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
