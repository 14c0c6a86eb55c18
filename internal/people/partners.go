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

// CreatePartner creates a partner and invites its first admin, in one
// transaction: a partner is never left without a way in.
func (s *Service) CreatePartner(ctx context.Context, actor access.Actor, name, adminEmail string) (*store.Partner, *store.Invitation, error) {
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
		if p, err = tx.SetPartnerStatus(ctx, partnerID, status); err != nil {
			return err
		}
		if status == store.PartnerSuspended {
			if err := tx.DeletePartnerSessions(ctx, partnerID); err != nil {
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
