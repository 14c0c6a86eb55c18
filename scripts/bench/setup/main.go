// Command setup prepares a demo portal for the gateway benchmark and reads
// its results: `setup token UPSTREAM` points the Fleet API's live traffic
// at UPSTREAM, lifts the demo group's limits out of the way and prints a
// live token of dev@harbor.test; `setup count` prints how many calls the
// audit trail holds, starting the demo's PostgreSQL again if the portal
// stopped it. PORTICO_DATA and PORTICO_SECRET are the portal's.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgcluster"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench setup:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cluster, err := pgcluster.New(filepath.Join(os.Getenv("PORTICO_DATA"), "postgres"))
	if err != nil {
		return err
	}
	if !cluster.Running(ctx) {
		if err := cluster.Start(ctx); err != nil {
			return err
		}
		defer cluster.Stop(context.Background())
	}
	db, err := store.Open(ctx, cluster.URL("portico"))
	if err != nil {
		return err
	}
	defer db.Close()
	st := store.New(db)
	switch {
	case len(args) == 1 && args[0] == "count":
		var n int64
		if err := db.GetContext(ctx, &n, `SELECT count(*) FROM api_calls`); err != nil {
			return err
		}
		fmt.Println(n)
		return nil
	case len(args) == 2 && args[0] == "token":
		api, err := st.APIBySlug(ctx, "fleet")
		if err != nil {
			return err
		}
		if _, err := catalog.NewService(st).SetUpstream(ctx, api.ID, args[1]); err != nil {
			return err
		}
		// The benchmark measures the gateway, not the demo's 600 calls a
		// minute: lift the limits of the group that grants Fleet.
		if _, err := db.ExecContext(ctx, `UPDATE access_groups SET rate_limit_per_minute = 100000000, monthly_quota = NULL WHERE name = 'Port operations'`); err != nil {
			return err
		}
		u, err := st.UserByEmail(ctx, "dev@harbor.test")
		if err != nil {
			return err
		}
		svc := pat.New(st, token.NewHasher([]byte(os.Getenv("PORTICO_SECRET"))), mail.NewOutbox(st), "http://127.0.0.1")
		c, err := svc.Create(ctx, access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID},
			pat.Input{Name: "benchmark", Environment: "live", Days: 1, Scopes: []string{"fleet/fleet:read"}})
		if err != nil {
			return err
		}
		fmt.Println(c.Plaintext)
		return nil
	}
	return fmt.Errorf("usage: setup token UPSTREAM_URL | setup count")
}
