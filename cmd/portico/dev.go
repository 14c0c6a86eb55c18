package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

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
	if cfg.DatabaseURL == "" {
		cluster, err := pgcluster.New(filepath.Join(cfg.DataDir, "postgres"))
		if err != nil {
			return err
		}
		fresh := !cluster.Initialized()
		if fresh {
			fmt.Fprintf(e.stdout, "creating a local PostgreSQL cluster in %s\n", cluster.Dir)
		}
		if err := cluster.Init(ctx); err != nil {
			return err
		}
		if err := cluster.Start(ctx); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := cluster.Stop(sctx); err != nil {
				e.log.Error("stop local PostgreSQL", "err", err)
			}
		}()
		if err := ensureDatabase(ctx, cluster, devDatabase); err != nil {
			return err
		}
		cfg.DatabaseURL = cluster.URL(devDatabase)
		fmt.Fprintf(e.stdout, "local PostgreSQL running (socket in %s)\n", cluster.SocketDir)
	}
	db, err := openDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := migrate(ctx, e, db); err != nil {
		return err
	}
	if err := seed(ctx, e, db); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "\nPortico is serving on %s (Ctrl-C to stop)\n\n", cfg.BaseURL)
	return serve(ctx, e, cfg, db, true)
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
