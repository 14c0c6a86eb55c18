package sso

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

// errNotInGroup rolls back an admission whose person is in no mapped
// group, so that their de-provisioning can follow in its own transaction.
var errNotInGroup = errors.New("not in a mapped group")

// Admit lets the identity a provider vouched for in: the user linked to
// it, or (first sign-in) the active account of its address in the
// provider's partner, or a new developer of that partner only (just in
// time). The address must be verified and of one of the provider's
// domains; an account of another partner or of the staff is never taken
// over. The staff provider signs in existing staff only. Mapped teams and
// the role follow the groups claim; someone who is in no mapped group
// where the provider requires one is refused, and loses the access they
// had. A token without the groups claim changes no team or role (and is
// refused, without loss, where a group is required). attempt.UserID, when
// set, must be who comes back.
func (s *Service) Admit(ctx context.Context, id *Identity, attempt Attempt) (*store.User, error) {
	p := id.Provider
	u, known, err := s.admit(ctx, id, attempt)
	if errors.Is(err, store.ErrEmailTaken) || errors.Is(err, store.ErrIdentityTaken) {
		// The same person signing in twice at once (phone and laptop):
		// the other sign-in created or linked the account meanwhile, which
		// this second try finds.
		u, known, err = s.admit(ctx, id, attempt)
	}
	if errors.Is(err, errNotInGroup) {
		if known {
			if err := s.deprovisionAfterSignIn(ctx, p, id.Subject); err != nil {
				return nil, err
			}
		}
		err = refused(RefusedGroup, "in none of the provider's mapped groups")
	}
	var re *RefusedError
	if errors.As(err, &re) {
		s.recordRefusal(ctx, id, re)
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("admit identity of provider %d: %w", p.ID, err)
	}
	return u, nil
}

// admit is one try of Admit's transaction.
func (s *Service) admit(ctx context.Context, id *Identity, attempt Attempt) (u *store.User, known bool, err error) {
	p := id.Provider
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		var created bool
		u, known, created, err = s.account(ctx, tx, id)
		if err != nil {
			return err
		}
		if attempt.UserID != 0 && u.ID != attempt.UserID {
			return refused(RefusedOtherPerson, "re-authentication came back as user %d, not %d", u.ID, attempt.UserID)
		}
		if u.PartnerID != nil {
			partner, err := tx.PartnerByID(ctx, *u.PartnerID)
			if err != nil {
				return err
			}
			if partner.Status != store.PartnerActive {
				return refused(RefusedSuspended, "partner %d is %s", partner.ID, partner.Status)
			}
		}
		groups, err := s.admitGroups(ctx, tx, id, u)
		if err != nil {
			return err
		}
		var sealed []byte
		if id.RefreshToken != "" {
			sealed = s.box.Seal(id.RefreshToken, PurposeRefreshToken)
		}
		if err := tx.SaveIdentity(ctx, store.UserIdentity{ProviderID: p.ID, Subject: id.Subject, UserID: u.ID,
			RefreshTokenEnc: sealed, Groups: groups}); err != nil {
			return err
		}
		if err := tx.RecordSignIn(ctx, u.ID); err != nil {
			return err
		}
		details := map[string]any{"method": "sso", "provider": p.DisplayName}
		if created {
			details["joined"] = true
		}
		if attempt.UserID != 0 {
			details["reauthenticated"] = true
		}
		return audit.Record(ctx, tx, signInEvent(u, details))
	})
	return u, known, err
}

// admitGroups makes u's mapped teams and role follow the groups the
// provider listed, and returns the groups to keep for the identity. When
// its token did not carry the groups claim, nothing changes and the
// groups kept before stay; where a mapped group is required, the sign-in
// is refused, but the person keeps the access they had: the provider did
// not say they left.
func (s *Service) admitGroups(ctx context.Context, tx *store.Store, id *Identity, u *store.User) ([]string, error) {
	p := id.Provider
	if !id.GroupsUnknown {
		if _, err := ApplyGroups(ctx, tx, p, u, id.Groups); errors.Is(err, ErrNotInMappedGroup) {
			return nil, errNotInGroup
		} else if err != nil {
			return nil, err
		}
		return BoundGroups(id.Groups), nil
	}
	if err := KeepGroups(ctx, tx, p); errors.Is(err, ErrGroupsUnknown) {
		return nil, refused(RefusedGroup, "the ID token has no %q claim and the provider requires a mapped group", p.GroupsClaim)
	} else if err != nil {
		return nil, err
	}
	prev, err := tx.IdentityBySubject(ctx, p.ID, id.Subject)
	if errors.Is(err, store.ErrNotFound) {
		return []string{}, nil
	} else if err != nil {
		return nil, err
	}
	return prev.Groups, nil
}

// account finds or creates the user behind the identity: known says the
// person had access before this sign-in, created that they joined now.
func (s *Service) account(ctx context.Context, tx *store.Store, id *Identity) (u *store.User, known, created bool, err error) {
	p := id.Provider
	// The link is locked first: two sign-ins of one person at once (or a
	// sign-in and a sync) take their turns instead of deadlocking.
	ident, err := tx.LockIdentity(ctx, p.ID, id.Subject)
	switch {
	case err == nil:
		u, err = tx.UserByID(ctx, ident.UserID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, false, false, err
		}
		if u != nil && u.Status == "active" {
			if !ofDomains(p, u.Email) {
				// The account's domain was taken off the provider: it no
				// longer vouches for this address here.
				return nil, false, false, refused(RefusedDomain, "the account's address is no longer of the provider's domains")
			}
			return u, true, false, nil
		}
		// The account behind an old link was removed: the person starts
		// over as anyone signing in for the first time.
		if err := tx.DeleteIdentity(ctx, p.ID, id.Subject); err != nil {
			return nil, false, false, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return nil, false, false, err
	}
	if !id.EmailVerified {
		return nil, false, false, refused(RefusedUnverified, "email not verified by the provider")
	}
	if !ofDomains(p, id.Email) {
		return nil, false, false, refused(RefusedDomain, "email domain not among the provider's domains")
	}
	existing, err := tx.UserByEmail(ctx, id.Email)
	switch {
	case err == nil:
		if p.IsStaff() != existing.IsStaff() || (!p.IsStaff() && *existing.PartnerID != *p.PartnerID) {
			return nil, false, false, refused(RefusedElsewhere, "the address has an account outside the provider's partner")
		}
		if other, err := tx.IdentityOfUser(ctx, existing.ID); err == nil {
			if other.ProviderID == p.ID && other.Subject == id.Subject {
				// Linked by a sign-in of the same person that just ended:
				// take the link's lock now, before the member's, in the
				// order every other path takes them.
				if _, err := tx.LockIdentity(ctx, p.ID, id.Subject); err != nil {
					return nil, false, false, err
				}
				return existing, true, false, nil
			}
			// Already linked to another subject: two identities of the
			// provider cannot share one account.
			return nil, false, false, refused(RefusedElsewhere, "the account is linked to another identity")
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, false, false, err
		}
		return existing, true, false, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, false, false, err
	}
	if p.IsStaff() {
		return nil, false, false, refused(RefusedNoAccount, "no staff account for the address")
	}
	u, err = tx.CreateUser(ctx, store.NewUser{Email: id.Email, Name: displayName(id), Role: store.RoleDeveloper, PartnerID: p.PartnerID})
	if err != nil {
		return nil, false, false, err
	}
	return u, false, true, audit.Record(ctx, tx, audit.Event{Action: "member.joined", PartnerID: *p.PartnerID,
		TargetType: "user", TargetID: u.ID, Target: u.Email, ActorID: u.ID,
		Details: map[string]any{"role": u.Role, "via": "sso", "provider": p.DisplayName}})
}

// ofDomains reports whether email is of one of p's domains.
func ofDomains(p *store.IdentityProvider, email string) bool {
	at := strings.LastIndexByte(email, '@')
	return at >= 1 && slices.Contains(p.Domains, email[at+1:])
}

// displayName is the name a person joins with: the provider's, when it
// is one line of at most 200 characters, else the address's local part.
func displayName(id *Identity) string {
	n := strings.TrimSpace(id.Name)
	if n == "" || utf8.RuneCountInString(n) > 200 || textcheck.Line(n) != "" {
		n = id.Email[:strings.LastIndexByte(id.Email, '@')]
	}
	return n
}

// signInEvent is the audit event of u signing in through a provider.
func signInEvent(u *store.User, details map[string]any) audit.Event {
	e := audit.Event{Action: "user.sign_in", TargetType: "user", TargetID: u.ID, Target: u.Email, ActorID: u.ID, Details: details}
	if u.PartnerID != nil {
		e.PartnerID = *u.PartnerID
	}
	return e
}

// deprovisionAfterSignIn ends the access of the person behind subject,
// whose sign-in showed they left every mapped group.
func (s *Service) deprovisionAfterSignIn(ctx context.Context, p *store.IdentityProvider, subject string) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		ident, err := tx.IdentityBySubject(ctx, p.ID, subject)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		gone, err := s.Deprovision(ctx, tx, p, ident, ReasonLeftGroups)
		if err != nil || gone == nil {
			return err
		}
		return s.MailDeprovisioned(ctx, tx, p, []Deprovisioned{*gone})
	})
}

// recordRefusal audits a refused sign-in of someone the provider vouched
// for, in the provider's partner's trail (the staff's for the staff
// provider).
func (s *Service) recordRefusal(ctx context.Context, id *Identity, re *RefusedError) {
	if id == nil || re.Kind == RefusedToken || re.Kind == RefusedAttempt {
		return
	}
	e := audit.Event{Action: "user.sso_refused", TargetType: "identity", Target: id.Email,
		Details: map[string]any{"reason": re.Kind, "provider": id.Provider.DisplayName}}
	if id.Provider.PartnerID != nil {
		e.PartnerID = *id.Provider.PartnerID
	}
	// A failure to audit a refusal changes nothing for the person refused.
	_ = s.store.InTx(ctx, func(tx *store.Store) error { return audit.Record(ctx, tx, e) })
}
