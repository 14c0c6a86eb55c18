package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/portico/portico/internal/dataset"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/store"
)

func cmdGenerate(ctx context.Context, e env, args []string) error {
	var scale float64
	var sizes struct{ partners, members, tokens, grants, events, calls, days int }
	cfg, err := command{name: "dev generate", needDB: e.getenv("DATABASE_URL") != "",
		summary: "Fill a database with a provider's load (issues 12 and 13): 200 partners, one with 10 000 members\n" +
			"in 50 teams, 100 000 tokens, 1 000 grants, 1 million audit events and 10 million calls over 90 days\n" +
			"with their rollups, beside the demo data. Uses DATABASE_URL, or the local PostgreSQL of `make run`\n" +
			"when it is unset. Refuses a database that holds the data set already."}.parse(e, args, func(fs *flag.FlagSet) {
		fs.Float64Var(&scale, "scale", 1, "multiply every count that grows with a provider by this (0.01 for a quick look)")
		fs.IntVar(&sizes.partners, "partners", 0, "partners, the big one included (0: 200 × scale)")
		fs.IntVar(&sizes.members, "members", 0, "members of the big partner (0: 10 000 × scale)")
		fs.IntVar(&sizes.tokens, "tokens", 0, "tokens, a fifth of them the big partner's (0: 100 000 × scale)")
		fs.IntVar(&sizes.grants, "grants", 0, "open grants, two fifths of them the big partner's (0: 1 000 × scale)")
		fs.IntVar(&sizes.events, "events", 0, "audit events (0: 1 000 000 × scale)")
		fs.IntVar(&sizes.calls, "calls", 0, "gateway calls (0: 10 000 000 × scale)")
		fs.IntVar(&sizes.days, "days", 0, "days the calls and events span (0: 90)")
	})
	if err != nil {
		return err
	}
	if cfg.Production {
		return usageError{"dev generate: refused with PORTICO_ENV=production: it adds accounts with a known password"}
	}
	if scale <= 0 {
		return usageError{"dev generate: --scale must be more than 0"}
	}
	spec := dataset.Scaled(scale)
	if sizes.partners > 0 {
		spec.Partners = sizes.partners
	}
	if sizes.members > 0 {
		spec.BigMembers = sizes.members
		spec.BigTeam = min(spec.BigTeam, sizes.members)
		spec.BigTeams = min(spec.BigTeams, max(1, sizes.members/4))
	}
	if sizes.tokens > 0 {
		spec.Tokens, spec.BigTokens = sizes.tokens, max(2*spec.OwnTokens, sizes.tokens/5)
	}
	if sizes.grants > 0 {
		spec.Grants, spec.BigGrants = sizes.grants, sizes.grants*2/5
	}
	if sizes.events > 0 {
		spec.Events = sizes.events
	}
	if sizes.calls > 0 {
		spec.Calls = sizes.calls
	}
	if sizes.days > 0 {
		spec.Days = sizes.days
	}
	if err := spec.Check(); err != nil {
		return usageError{"dev generate: " + err.Error()}
	}
	db, closeDB, err := migratedDB(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	start := time.Now()
	fmt.Fprintf(e.stdout, "generating %d partners, %d members of %s in %d teams (the largest %d), %d tokens, %d grants, %d audit events, %d calls over %d days\n",
		spec.Partners, spec.BigMembers, dataset.BigPartnerSlug, spec.BigTeams, spec.BigTeam, spec.Tokens, spec.Grants, spec.Events, spec.Calls, spec.Days)
	if _, err := dataset.Generate(ctx, db, spec, e.stdout); err != nil {
		if errors.Is(err, dataset.ErrExists) {
			return usageError{"dev generate: " + err.Error()}
		}
		return err
	}
	fmt.Fprintf(e.stdout, "data set ready in %.0fs. Sign in with password %q as:\n", time.Since(start).Seconds(), demo.Password)
	for _, a := range []struct{ email, role string }{
		{dataset.AdminEmail, store.RoleAdmin}, {dataset.AccountManagerEmail, store.RoleAccountManager},
		{dataset.PartnerAdminEmail, store.RolePartnerAdmin}, {dataset.DeveloperEmail, store.RoleDeveloper},
	} {
		fmt.Fprintf(e.stdout, "  %-22s %s\n", a.email, roleLabel(a.role))
	}
	return nil
}
