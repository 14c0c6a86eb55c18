// Package demo seeds the demo data that `make run` serves: a provider admin,
// an account manager and two partners with an admin and a developer each.
// Seeding is idempotent: what exists already is left as it is.
package demo

import (
	"context"
	"errors"
	"fmt"

	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
)

// Password is the demo accounts' password. Demo data is for local use only.
const Password = "portico-demo"

// Account is one seeded sign-in.
type Account struct {
	Email   string
	Name    string
	Role    string
	Partner string // partner name; empty for staff
	Created bool   // false when it existed already
}

type partnerSeed struct {
	name, slug string
	people     []Account
}

var staff = []Account{
	{Email: "admin@portico.test", Name: "Pat Admin", Role: store.RoleAdmin},
	{Email: "am@portico.test", Name: "Morgan Account", Role: store.RoleAccountManager},
}

var partners = []partnerSeed{
	{name: "Harbor Logistics", slug: "harbor-logistics", people: []Account{
		{Email: "admin@harbor.test", Name: "Ada Harbor", Role: store.RolePartnerAdmin},
		{Email: "dev@harbor.test", Name: "Dev Harbor", Role: store.RoleDeveloper},
	}},
	{name: "Crane Works", slug: "crane-works", people: []Account{
		{Email: "admin@crane.test", Name: "Cleo Crane", Role: store.RolePartnerAdmin},
		{Email: "dev@crane.test", Name: "Dan Crane", Role: store.RoleDeveloper},
	}},
}

// Seed creates whatever demo data is missing, in one transaction, and returns
// every demo account.
func Seed(ctx context.Context, s *store.Store) ([]Account, error) {
	var out []Account
	err := s.InTx(ctx, func(tx *store.Store) error {
		out = out[:0]
		for _, a := range staff {
			a, err := ensureUser(ctx, tx, a, nil)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		for _, ps := range partners {
			p, err := tx.PartnerBySlug(ctx, ps.slug)
			if errors.Is(err, store.ErrNotFound) {
				p, err = tx.CreatePartner(ctx, ps.name, ps.slug)
			}
			if err != nil {
				return err
			}
			for _, a := range ps.people {
				a.Partner = p.Name
				a, err := ensureUser(ctx, tx, a, &p.ID)
				if err != nil {
					return err
				}
				out = append(out, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed demo data: %w", err)
	}
	return out, nil
}

func ensureUser(ctx context.Context, tx *store.Store, a Account, partnerID *int64) (Account, error) {
	_, err := tx.UserByEmail(ctx, a.Email)
	if err == nil {
		return a, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	hash, err := password.Hash(Password)
	if err != nil {
		return a, err
	}
	if _, err := tx.CreateUser(ctx, store.NewUser{Email: a.Email, Name: a.Name, Role: a.Role, PartnerID: partnerID, PasswordHash: hash}); err != nil {
		return a, err
	}
	a.Created = true
	return a, nil
}
