// Package people is how a partner's people change: invitations, accepting
// them, role changes and removal. Each action is one transaction, and the
// mail it causes is queued in that same transaction.
package people

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/internal/webhook"
)

// InvitationTTL is how long an invitation link works.
const InvitationTTL = 7 * 24 * time.Hour

// InvitationsPerHour caps the invitation mails (new and resent) of one
// partner in an hour, so an admin's account or script cannot use the
// portal to mail-bomb addresses. Generous for onboarding a whole team.
const InvitationsPerHour = 100

// LimitError says an hourly cap is reached; the action may be retried
// after RetryAfter.
type LimitError struct {
	Message    string
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Message }

// countHourly counts one attempt of (kind, key) against perHour, in the
// caller's transaction (so a refused or failed action is not counted), in
// the same statement that reads the count; over the cap it is a
// *LimitError saying what, with when the hour's window ends.
func (s *Service) countHourly(ctx context.Context, tx *store.Store, kind, key string, perHour int, what string) error {
	now := s.now()
	n, since, err := tx.CountAttempt(ctx, kind, key, time.Hour, now)
	if err != nil {
		return err
	}
	if n > perHour {
		return &LimitError{
			Message: fmt.Sprintf("At most %d %s per hour; please try again later.", perHour, what),
			// The window starts at the database's clock, which may run a
			// little ahead of ours: never more than the window itself.
			RetryAfter: min(max(since.Add(time.Hour).Sub(now), time.Second), time.Hour),
		}
	}
	return nil
}

// countInvitation counts one invitation mail of the partner against
// InvitationsPerHour.
func (s *Service) countInvitation(ctx context.Context, tx *store.Store, partnerID int64) error {
	return s.countHourly(ctx, tx, store.CounterInvitation, strconv.FormatInt(partnerID, 10), InvitationsPerHour, "invitations can be sent")
}

// Errors the handlers turn into messages.
var (
	ErrLastAdmin           = errors.New("a partner must keep at least one admin")
	ErrInvitationExpired   = errors.New("invitation expired")
	ErrInvitationUsed      = errors.New("invitation already used")
	ErrInvitationCancelled = errors.New("invitation cancelled")
)

// Service carries out the actions.
type Service struct {
	store   *store.Store
	hasher  *token.Hasher
	outbox  *pmail.Outbox
	baseURL string
	now     func() time.Time
}

// New returns the service; baseURL is the portal's public URL, for links in
// mails.
func New(st *store.Store, hasher *token.Hasher, outbox *pmail.Outbox, baseURL string) *Service {
	return &Service{store: st, hasher: hasher, outbox: outbox, baseURL: strings.TrimSuffix(baseURL, "/"), now: time.Now}
}

// ValidRole reports whether role is a partner role.
func ValidRole(role string) bool {
	return role == access.RolePartnerAdmin || role == access.RoleDeveloper
}

// checkEmail returns the normalised address or a FieldError.
func checkEmail(raw string) (string, error) {
	if p := textcheck.Line(raw); p != "" {
		return "", &apierr.FieldError{Field: "email", Message: "The email address " + p}
	}
	email := store.NormalizeEmail(raw)
	addr, err := mail.ParseAddress(email)
	if email == "" || err != nil || addr.Address != email || len(email) > 254 {
		return "", &apierr.FieldError{Field: "email", Message: "Enter a valid email address, like name@example.com."}
	}
	return email, nil
}

// Invite invites email to the partner with role and queues the mail; a
// partner that enforces its identity provider invites nobody
// (*JoinThroughSSOError), whatever the input.
func (s *Service) Invite(ctx context.Context, actor access.Actor, partnerID int64, rawEmail, role string) (*store.Invitation, error) {
	if err := s.JoinsThroughSSO(ctx, partnerID); err != nil {
		return nil, err
	}
	email, err := checkEmail(rawEmail)
	if err != nil {
		return nil, err
	}
	if !ValidRole(role) {
		return nil, &apierr.FieldError{Field: "role", Message: "Choose a role: admin or developer."}
	}
	var inv *store.Invitation
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		inv, err = s.invite(ctx, tx, actor, partnerID, email, role)
		return err
	})
	if err != nil {
		return nil, err
	}
	return inv, nil
}

// invite does the work of Invite inside the caller's transaction.
//
// An address with an account outside the partner (another partner's
// member, or provider staff) cannot join it, but a partner admin must not
// learn that the account exists: the invitation is created and answered
// exactly like any other, but its link is never sent to anyone (the
// address's owner gets a notice without a link instead), so it cannot be
// accepted; it lists, resends, expires and cancels like the others. Staff,
// who see every account anyway, are told plainly.
func (s *Service) invite(ctx context.Context, tx *store.Store, actor access.Actor, partnerID int64, email, role string) (*store.Invitation, error) {
	partner, err := tx.PartnerByID(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	if err := joinsThroughSSO(ctx, tx, partnerID); err != nil {
		return nil, err
	}
	elsewhere, err := accountElsewhere(ctx, tx, email, partnerID)
	if err != nil {
		return nil, err
	}
	if elsewhere != nil && actor.Staff() {
		return nil, elsewhere
	}
	if err := s.countInvitation(ctx, tx, partnerID); err != nil {
		return nil, err
	}
	plain, hash, err := s.newToken(token.KindInvite)
	if err != nil {
		return nil, err
	}
	inv, err := tx.CreateInvitation(ctx, partnerID, email, role, hash, actorID(actor), s.now().Add(InvitationTTL))
	if errors.Is(err, store.ErrInvitationOpen) {
		return nil, &apierr.FieldError{Field: "email", Message: fmt.Sprintf("%s already has an open invitation: resend it from the list below instead.", email)}
	}
	if err != nil {
		return nil, err
	}
	if err := s.sendInvitation(ctx, tx, inv, partner, inviterName(ctx, tx, actor), plain, elsewhere != nil); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, invitationEvent("invitation.create", inv)); err != nil {
		return nil, err
	}
	return inv, nil
}

// sendInvitation queues the invitation's mail with its link, or, for an
// address with an account elsewhere, a notice without one: the link's
// plaintext then exists nowhere, so nobody can accept the invitation.
func (s *Service) sendInvitation(ctx context.Context, tx *store.Store, inv *store.Invitation, partner *store.Partner, inviter, plain string, elsewhere bool) error {
	msg := invitationRefusedNotice(inv, partner, inviter)
	if !elsewhere {
		var err error
		if msg, err = s.invitationMail(ctx, inv, partner, inviter, plain); err != nil {
			return err
		}
	}
	return s.outbox.Enqueue(ctx, tx, msg)
}

// invitationEvent is the audit event of an invitation change: the invitee's
// email and role, never the link.
func invitationEvent(action string, inv *store.Invitation) audit.Event {
	return audit.Event{Action: action, PartnerID: inv.PartnerID, TargetType: "invitation", TargetID: inv.ID, Target: inv.Email,
		Details: map[string]any{"role": inv.Role}}
}

// memberEvent is the audit event of a change to a member of a partner.
func memberEvent(action string, u *store.User, details map[string]any) audit.Event {
	e := audit.Event{Action: action, TargetType: "user", TargetID: u.ID, Target: u.Email, Details: details}
	if u.PartnerID != nil {
		e.PartnerID = *u.PartnerID
	}
	return e
}

// accountElsewhere says whether email already has an account. A member of
// the partner itself is a FieldError returned as err (the partner admin
// sees their own members anyway). An account of another partner or of the
// provider's staff is returned as elsewhere, the message for staff: a
// partner admin's invitation to it is answered as if it did not exist.
func accountElsewhere(ctx context.Context, tx *store.Store, email string, partnerID int64) (elsewhere *apierr.FieldError, err error) {
	u, err := tx.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case u.IsStaff():
		return &apierr.FieldError{Field: "email", Message: "That address belongs to the portal provider's staff; staff cannot be invited as partner members."}, nil
	case u.PartnerID != nil && *u.PartnerID == partnerID:
		return nil, &apierr.FieldError{Field: "email", Message: fmt.Sprintf("%s is already a member of your organisation.", email)}
	default:
		return &apierr.FieldError{Field: "email", Message: "That address already has an account with another organisation on this portal; it cannot be invited."}, nil
	}
}

// newToken makes a link secret of kind and the hash stored in its place.
func (s *Service) newToken(kind token.Kind) (plain string, hash []byte, err error) {
	plain, err = token.New(kind)
	if err != nil {
		return "", nil, fmt.Errorf("%s token: %w", kind, err)
	}
	return plain, s.hasher.Hash(plain), nil
}

func actorID(a access.Actor) *int64 {
	if a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

func inviterName(ctx context.Context, tx *store.Store, a access.Actor) string {
	if a.UserID == 0 {
		return "The portal team"
	}
	u, err := tx.UserByID(ctx, a.UserID)
	if err != nil {
		return "The portal team"
	}
	return u.Name
}

// Resend gives an open invitation a fresh link and expiry and mails it again.
func (s *Service) Resend(ctx context.Context, actor access.Actor, partnerID, invitationID int64) (*store.Invitation, error) {
	var inv *store.Invitation
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		inv, err = tx.PartnerInvitation(ctx, partnerID, invitationID)
		if err != nil {
			return err
		}
		if inv.AcceptedAt != nil || inv.CancelledAt != nil {
			return store.ErrNotFound
		}
		if err := joinsThroughSSO(ctx, tx, partnerID); err != nil {
			return err
		}
		partner, err := tx.PartnerByID(ctx, partnerID)
		if err != nil {
			return err
		}
		if err := s.countInvitation(ctx, tx, partnerID); err != nil {
			return err
		}
		plain, hash, err := s.newToken(token.KindInvite)
		if err != nil {
			return err
		}
		inv.ExpiresAt = s.now().Add(InvitationTTL)
		if err := tx.RenewInvitation(ctx, inv.ID, hash, inv.ExpiresAt); err != nil {
			return err
		}
		// Decided again now: the address may have got an account
		// elsewhere since (or lost it).
		elsewhere, err := accountElsewhere(ctx, tx, inv.Email, partnerID)
		if err != nil {
			return err
		}
		if err := s.sendInvitation(ctx, tx, inv, partner, inviterName(ctx, tx, actor), plain, elsewhere != nil); err != nil {
			return err
		}
		return audit.Record(ctx, tx, invitationEvent("invitation.resend", inv))
	})
	return inv, err
}

// Cancel cancels an open invitation of the partner.
func (s *Service) Cancel(ctx context.Context, partnerID, invitationID int64) (*store.Invitation, error) {
	var inv *store.Invitation
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		inv, err = tx.PartnerInvitation(ctx, partnerID, invitationID)
		if err != nil {
			return err
		}
		if err := tx.CancelInvitation(ctx, inv.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, invitationEvent("invitation.cancel", inv))
	})
	return inv, err
}

// ChangeRole sets a member's role, refusing to demote the last admin.
func (s *Service) ChangeRole(ctx context.Context, partnerID, userID int64, role string) (*store.User, error) {
	if !ValidRole(role) {
		return nil, &apierr.FieldError{Field: "role", Message: "Choose a role: admin or developer."}
	}
	var u *store.User
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		u, err = tx.PartnerMember(ctx, partnerID, userID)
		if err != nil {
			return err
		}
		if u.Role == role {
			return nil
		}
		if err := keepAnAdmin(ctx, tx, partnerID, u); err != nil {
			return err
		}
		from := u.Role
		u.Role = role
		if err := tx.SetUserRole(ctx, u.ID, role); err != nil {
			return err
		}
		return audit.Record(ctx, tx, memberEvent("member.role_change", u, map[string]any{"from": from, "to": role}))
	})
	return u, err
}

// keepAnAdmin refuses to take u's admin role away (by demotion or removal)
// when u is the partner's last admin. The count locks the admin rows, so two
// admins demoting each other at once cannot both succeed.
func keepAnAdmin(ctx context.Context, tx *store.Store, partnerID int64, u *store.User) error {
	if u.Role != access.RolePartnerAdmin {
		return nil
	}
	n, err := tx.CountPartnerAdmins(ctx, partnerID)
	if err != nil {
		return err
	}
	if n <= 1 {
		return ErrLastAdmin
	}
	return nil
}

// Remove removes a member: their sessions end in the same transaction, their
// row stays (named in the audit trail), and the last admin is kept.
func (s *Service) Remove(ctx context.Context, partnerID, userID int64) (*store.User, error) {
	var u *store.User
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		u, err = tx.PartnerMember(ctx, partnerID, userID)
		if err != nil {
			return err
		}
		if err := keepAnAdmin(ctx, tx, partnerID, u); err != nil {
			return err
		}
		if err := tx.RemoveUser(ctx, u.ID); err != nil {
			return err
		}
		if _, err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		// Their tokens end with them, in this same transaction.
		var by *int64
		if id := audit.SourceFrom(ctx).ActorID; id != 0 {
			by = &id
		}
		const reason = "owner removed from the partner"
		tokens, err := tx.RevokeUserTokens(ctx, u.ID, by, reason)
		if err != nil {
			return err
		}
		if err := webhook.QueueCredentialsRevoked(ctx, tx, tokens, reason, audit.SourceFrom(ctx).ActorID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, memberEvent("member.remove", u, map[string]any{"role": u.Role, "tokens_revoked": len(tokens)}))
	})
	return u, err
}

// Lookup finds the invitation behind a link and says whether it can still
// be accepted. The partner is returned for the page to name.
func (s *Service) Lookup(ctx context.Context, plain string) (*store.Invitation, *store.Partner, error) {
	if p, err := token.Parse(plain); err != nil || p.Kind != token.KindInvite {
		return nil, nil, store.ErrNotFound
	}
	var inv *store.Invitation
	var partner *store.Partner
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		inv, err = tx.InvitationByTokenHash(ctx, s.hasher.Hash(plain))
		if err != nil {
			return err
		}
		partner, err = tx.PartnerByID(ctx, inv.PartnerID)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if err := invitationState(inv, s.now()); err != nil {
		return inv, partner, err
	}
	// An invitation sent before the partner enforced its identity
	// provider no longer works: people join through the provider.
	return inv, partner, s.JoinsThroughSSO(ctx, inv.PartnerID)
}

func invitationState(inv *store.Invitation, now time.Time) error {
	switch {
	case inv.AcceptedAt != nil:
		return ErrInvitationUsed
	case inv.CancelledAt != nil:
		return ErrInvitationCancelled
	case inv.Expired(now):
		return ErrInvitationExpired
	}
	return nil
}

// Accept creates the invited user with name and password and closes the
// invitation, in one transaction.
func (s *Service) Accept(ctx context.Context, plain, name, pw string) (*store.User, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, &apierr.FieldError{Field: "name", Message: "Enter your name (up to 200 characters)."}
	}
	if err := password.Validate(pw); err != nil {
		return nil, &apierr.FieldError{Field: "password", Message: "Choose a password: " + err.Error() + "."}
	}
	if p, err := token.Parse(plain); err != nil || p.Kind != token.KindInvite {
		return nil, store.ErrNotFound
	}
	// The password may not contain the invited address or the name given:
	// read the address first (the transaction below checks the invitation
	// again), so the slow hash is not computed inside it.
	pre, err := s.store.InvitationByTokenHash(ctx, s.hasher.Hash(plain))
	if err != nil {
		return nil, err
	}
	if err := password.Validate(pw, pre.Email, name); err != nil {
		return nil, &apierr.FieldError{Field: "password", Message: "Choose a password: " + err.Error() + "."}
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return nil, err
	}
	var u *store.User
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		inv, err := tx.InvitationByTokenHash(ctx, s.hasher.Hash(plain))
		if err != nil {
			return err
		}
		if err := invitationState(inv, s.now()); err != nil {
			return err
		}
		partner, err := tx.PartnerByID(ctx, inv.PartnerID)
		if err != nil {
			return err
		}
		if partner.Status != store.PartnerActive {
			return ErrInvitationCancelled
		}
		if err := joinsThroughSSO(ctx, tx, inv.PartnerID); err != nil {
			return err
		}
		pid := inv.PartnerID
		u, err = tx.CreateUser(ctx, store.NewUser{Email: inv.Email, Name: name, Role: inv.Role, PartnerID: &pid, PasswordHash: hash})
		if errors.Is(err, store.ErrEmailTaken) {
			return &apierr.FieldError{Field: "email", Message: "An account with this email exists already: sign in instead."}
		}
		if err != nil {
			return err
		}
		if err := tx.MarkInvitationAccepted(ctx, inv.ID, u.ID); err != nil {
			return err
		}
		if err := tx.RecordSignIn(ctx, u.ID); err != nil {
			return err
		}
		// Nobody is signed in yet: the new member accepts as themselves.
		e := invitationEvent("invitation.accept", inv)
		e.ActorID, e.Details["user_id"] = u.ID, u.ID
		return audit.Record(ctx, tx, e)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
