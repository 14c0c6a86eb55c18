// Package demo seeds the demo data that `make run` serves: a provider admin,
// an account manager and two partners with an admin and a developer each
// (Seed), then the three sample APIs and access groups granted to the
// partners (SeedCatalog).
// Seeding is idempotent: what exists already is left as it is.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/openapi/samples"
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
		var managers []int64
		for _, a := range staff {
			a, err := ensureUser(ctx, tx, a, nil)
			if err != nil {
				return err
			}
			if a.Role == store.RoleAccountManager {
				u, err := tx.UserByEmail(ctx, a.Email)
				if err != nil {
					return err
				}
				managers = append(managers, u.ID)
			}
			out = append(out, a)
		}
		for _, ps := range partners {
			p, err := tx.PartnerBySlug(ctx, ps.slug)
			if errors.Is(err, store.ErrNotFound) {
				// A new demo partner is the demo account manager's; an
				// existing one keeps the managers it was given since.
				if p, err = tx.CreatePartner(ctx, ps.name, ps.slug); err == nil {
					for _, m := range managers {
						if _, err = tx.AssignManager(ctx, p.ID, m, 0); err != nil {
							break
						}
					}
				}
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

// SeedCatalog imports the sample APIs bundled in openapi/samples and gives
// the demo partners access: Harbor's "Integrations" team (with its
// developer) gets every sample API, Crane's developer reads the fleet. It
// runs after Seed, in one transaction, and skips what exists.
func SeedCatalog(ctx context.Context, s *store.Store) error {
	return s.InTx(ctx, func(tx *store.Store) error { return seedCatalog(ctx, tx) })
}

func seedCatalog(ctx context.Context, tx *store.Store) error {
	svc := catalog.NewService(tx)
	for _, a := range []struct{ slug, file string }{{"fleet", "fleet.yaml"}, {"telemetry", "telemetry.yaml"}, {"maintenance", "maintenance.yaml"}} {
		if _, err := tx.APIBySlug(ctx, a.slug); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		data, err := fs.ReadFile(samples.FS, a.file)
		if err != nil {
			return fmt.Errorf("bundled %s: %w", a.file, err)
		}
		if _, err := svc.Create(ctx, access.Actor{}, a.slug, "", data); err != nil {
			return fmt.Errorf("import %s: %w", a.file, err)
		}
	}
	if n, err := tx.CountAccessGroups(ctx); err != nil || n > 0 {
		return err // groups exist: the catalog was seeded (or set up by hand)
	}
	quota := int64(100000)
	port, err := tx.CreateAccessGroup(ctx, "Port operations", "Fleet, telemetry and maintenance, read and write.", 600, &quota)
	if err != nil {
		return err
	}
	basics, err := tx.CreateAccessGroup(ctx, "Fleet basics", "Read the fleet and its live status.", 120, nil)
	if err != nil {
		return err
	}
	include := []struct {
		group  int64
		slug   string
		scopes []string
	}{
		{port.ID, "fleet", []string{"fleet:read"}},
		{port.ID, "telemetry", []string{"telemetry:read"}},
		{port.ID, "maintenance", []string{"maintenance:read", "maintenance:write"}},
		{basics.ID, "fleet", []string{"fleet:read"}},
	}
	for _, in := range include {
		api, err := tx.APIBySlug(ctx, in.slug)
		if err != nil {
			return err
		}
		if err := tx.SetGroupAPI(ctx, in.group, api.ID, in.scopes); err != nil {
			return err
		}
	}
	harbor, err := tx.PartnerBySlug(ctx, "harbor-logistics")
	if err != nil {
		return err
	}
	team, err := tx.CreateTeam(ctx, harbor.ID, "Integrations")
	if err != nil {
		return err
	}
	dev, err := tx.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		return err
	}
	if _, err := tx.AddTeamMember(ctx, team.ID, dev.ID); err != nil {
		return err
	}
	if _, err := tx.Grant(ctx, port.ID, harbor.ID, &team.ID, nil, nil); err != nil {
		return err
	}
	crane, err := tx.PartnerBySlug(ctx, "crane-works")
	if err != nil {
		return err
	}
	craneDev, err := tx.UserByEmail(ctx, "dev@crane.test")
	if err != nil {
		return err
	}
	_, err = tx.Grant(ctx, basics.ID, crane.ID, nil, &craneDev.ID, nil)
	return err
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
