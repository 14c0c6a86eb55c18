package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/pgcluster"
)

// devDatabase is the database `portico dev` creates in its local cluster.
const devDatabase = "portico"

func cmdDev(ctx context.Context, e env, args []string) error {
	cfg, err := command{name: "dev", needHTTP: true, summary: "Run the demo: when DATABASE_URL is unset, start (or reuse) a local PostgreSQL in\n" +
		"PORTICO_DATA/postgres; then migrate, seed the demo data and serve."}.parse(e, args, nil)
	if err != nil {
		return err
	}
	db, closeDB, err := migratedDB(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := seed(ctx, e, db); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nPortico is serving on %s (Ctrl-C to stop)\n\n", cfg.BaseURL)
	return serve(ctx, e, cfg, db, true)
}

// localDatabase starts (or reuses) the project-local PostgreSQL cluster in
// PORTICO_DATA/postgres (or where pgcluster.ForProject moved it, said in one
// line), creates the dev database on it and points cfg.DatabaseURL there;
// stop stops the cluster.
func localDatabase(ctx context.Context, e env, cfg *config.Config) (stop func(), err error) {
	cluster, err := pgcluster.ForProject(ctx, filepath.Join(cfg.DataDir, "postgres"))
	if err != nil {
		return nil, err
	}
	if cluster.MovedFrom != "" {
		fmt.Fprintf(e.stdout, "the postgres user cannot reach %s, so the local PostgreSQL keeps its data in %s (linked from there)\n", cluster.MovedFrom, cluster.Dir)
	} else if !cluster.Initialized() {
		fmt.Fprintf(e.stdout, "creating a local PostgreSQL cluster in %s\n", cluster.Dir)
	}
	if err := cluster.Init(ctx); err != nil {
		return nil, err
	}
	if err := cluster.Start(ctx); err != nil {
		return nil, err
	}
	stop = func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := cluster.Stop(sctx); err != nil {
			e.log.Error("stop local PostgreSQL", "err", err)
		}
	}
	if err := ensureDatabase(ctx, cluster, devDatabase); err != nil {
		stop()
		return nil, err
	}
	cfg.DatabaseURL = cluster.URL(devDatabase)
	fmt.Fprintf(e.stdout, "local PostgreSQL running (socket in %s)\n", cluster.SocketDir)
	return stop, nil
}

// ensureDatabase creates the named database on the cluster if it is missing.
func ensureDatabase(ctx context.Context, c *pgcluster.Cluster, name string) error {
	admin, err := openDB(ctx, c.URL("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close()
	var exists bool
	if err := admin.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}
