package people

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lib/pq"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

// Slugify turns a partner's name into its URL-safe slug.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	slug := strings.TrimSuffix(b.String(), "-")
	if len(slug) > 64 {
		slug = strings.TrimSuffix(slug[:64], "-")
	}
	return slug
}

// CreatePartner creates a partner, assigns its account manager and invites
// its first admin, in one transaction: a partner is never left without a
// way in. managerID 0 is the creating account manager (none when a
// platform admin creates it: the directory then lists it as needing one).
func (s *Service) CreatePartner(ctx context.Context, actor access.Actor, name, adminEmail string, managerID int64) (*store.Partner, *store.Invitation, error) {
	name = strings.TrimSpace(name)
	if p := textcheck.Line(name); p != "" {
		return nil, nil, &apierr.FieldError{Field: "name", Message: "The name " + p}
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, nil, &apierr.FieldError{Field: "name", Message: "Enter the partner's name (up to 200 characters)."}
	}
	slug := Slugify(name)
	if slug == "" {
		// A name with no ASCII letters or digits (日本港湾, say) still gets
		// a stable, URL-safe slug.
		slug = fmt.Sprintf("partner-%08x", crc32.ChecksumIEEE([]byte(name)))
	}
	email, err := checkEmail(adminEmail)
	if err != nil {
		return nil, nil, err
	}
	var partner *store.Partner
	var inv *store.Invitation
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		partner, err = tx.CreatePartner(ctx, name, slug)
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code == "23505" {
			return &apierr.FieldError{Field: "name", Message: "A partner with this name (or one that differs only in punctuation) exists already."}
		}
		if err != nil {
			return err
		}
		err = audit.Record(ctx, tx, audit.Event{Action: "partner.create", PartnerID: partner.ID, TargetType: "partner", TargetID: partner.ID,
			Target: partner.Name, Details: map[string]any{"slug": partner.Slug, "admin_email": email}})
		if err != nil {
			return err
		}
		if managerID == 0 && actor.Role == access.RoleAccountManager {
			managerID = actor.UserID
		}
		if managerID != 0 {
			err := s.assign(ctx, tx, partner, managerID)
			if errors.Is(err, store.ErrNotFound) {
				return &apierr.FieldError{Field: "manager", Message: "Choose the account manager from the list."}
			}
			if err != nil {
				return err
			}
		}
		inv, err = s.invite(ctx, tx, actor, partner.ID, email, access.RolePartnerAdmin)
		var in *apierr.FieldError
		if errors.As(err, &in) {
			in.Field = "admin_email"
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return partner, inv, nil
}

// SetPartnerStatus suspends or reactivates a partner. Suspension signs its
// users out at once (their sessions are deleted in the same transaction).
// An ended partner is refused with a FieldError: ending is final.
func (s *Service) SetPartnerStatus(ctx context.Context, partnerID int64, status string) (*store.Partner, error) {
	if status != store.PartnerActive && status != store.PartnerSuspended {
		return nil, &apierr.FieldError{Field: "status", Message: "Unknown status."}
	}
	var p *store.Partner
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		old, err := tx.LockPartner(ctx, partnerID)
		if err != nil {
			return err
		}
		if old.Status == store.PartnerEnded {
			// Ending is final: its people's accounts are closed and its
			// credentials revoked, so there is nothing to reactivate.
			return &apierr.FieldError{Field: "status", Message: "The partnership of " + old.Name +
				" has ended: an ended partner cannot be reactivated or suspended. To work with them again, create a new partner."}
		}
		if p, err = tx.SetPartnerStatus(ctx, partnerID, status); err != nil {
			return err
		}
		if status == store.PartnerSuspended {
			if _, err := tx.DeletePartnerSessions(ctx, partnerID); err != nil {
				return err
			}
		}
		if old.Status == status {
			return nil // nothing changed, nothing to record
		}
		action := "partner.reactivate"
		if status == store.PartnerSuspended {
			action = "partner.suspend"
		}
		return audit.Record(ctx, tx, audit.Event{Action: action, PartnerID: p.ID, TargetType: "partner", TargetID: p.ID, Target: p.Name,
			Details: map[string]any{"from": old.Status, "to": status}})
	})
	return p, err
}

// assign makes userID an account manager of p and records it.
func (s *Service) assign(ctx context.Context, tx *store.Store, p *store.Partner, userID int64) error {
	added, err := tx.AssignManager(ctx, p.ID, userID, audit.SourceFrom(ctx).ActorID)
	if err != nil || !added {
		return err
	}
	u, err := tx.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "partner.manager_assign", PartnerID: p.ID, TargetType: "partner", TargetID: p.ID,
		Target: p.Name, Details: map[string]any{"manager": u.Name, "manager_id": u.ID}})
}

// ErrPartnerEnded is a change to who manages an ended partnership: its
// account managers stay on record as they were.
var ErrPartnerEnded = errors.New("the partnership has ended")

// ErrLastManager is an account manager's attempt to leave a partner they
// manage alone: they hand it over instead, or a platform admin removes them.
var ErrLastManager = errors.New("the partner's last account manager")

// ChangeManagers adds the account manager add (0: none) to the partner and
// removes remove (0: none), in one transaction, each change audited: a
// handover is both, add first. The caller checked access.AssignManagers.
// An account manager may not leave the partner without any (ErrLastManager);
// a platform admin may, and the directory then lists it as needing one.
// ErrNotFound when add is not an active account manager.
func (s *Service) ChangeManagers(ctx context.Context, actor access.Actor, partnerID, add, remove int64) (*store.Partner, error) {
	var p *store.Partner
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if p, err = tx.LockPartner(ctx, partnerID); err != nil {
			return err
		}
		if p.Status == store.PartnerEnded {
			return ErrPartnerEnded
		}
		if add != 0 {
			if err := s.assign(ctx, tx, p, add); err != nil {
				return err
			}
		}
		if remove == 0 {
			return nil
		}
		removed, err := tx.UnassignManager(ctx, partnerID, remove)
		if err != nil || !removed {
			return err
		}
		left, err := tx.PartnerManagers(ctx, partnerID)
		if err != nil {
			return err
		}
		if len(left) == 0 && actor.Role != access.RoleAdmin {
			return ErrLastManager
		}
		u, err := tx.UserByID(ctx, remove)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "partner.manager_unassign", PartnerID: p.ID, TargetType: "partner", TargetID: p.ID,
			Target: p.Name, Details: map[string]any{"manager": u.Name, "manager_id": u.ID}})
	})
	return p, err
}
