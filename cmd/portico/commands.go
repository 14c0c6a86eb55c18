package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
)

// command describes one subcommand's flag set.
type command struct {
	name     string
	summary  string
	needDB   bool
	needHTTP bool
}

// parse reads the settings and the command's flags; extra registers the
// command's own flags. A bad setting becomes one line naming it.
func (cmd command) parse(e env, args []string, extra func(fs *flag.FlagSet)) (*config.Config, error) {
	fs := flag.NewFlagSet("portico "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg := config.FromEnv(e.getenv, fs)
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: portico %s [flags]\n\n%s\n\nFlags:\n", cmd.name, cmd.summary)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usageError{fmt.Sprintf("portico %s: unexpected argument %q", cmd.name, fs.Arg(0))}
	}
	if err := cfg.Finish(cmd.needDB, cmd.needHTTP); err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			return nil, usageError{ce.Error()}
		}
		return nil, err
	}
	return cfg, nil
}

// openDB connects to the configured database, giving up after 15 seconds.
func openDB(ctx context.Context, url string) (*sqlx.DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return store.Open(ctx, url)
}

// currentDB opens the database at url and checks its schema is the one
// this binary knows: the commands that read or write data refuse a schema
// that is behind (run migrate first).
func currentDB(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := openDB(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := store.CheckSchema(ctx, db); err != nil {
		_ = db.Close() // the schema's error is the one to report
		return nil, err
	}
	return db, nil
}

func cmdMigrate(ctx context.Context, e env, args []string) error {
	cfg, err := command{name: "migrate", summary: "Apply every pending database migration and print what ran.", needDB: true}.parse(e, args, nil)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, e, db)
}

// migratedDB opens the database of cfg and migrates it, what serve, dev
// and dev generate start with; without a DATABASE_URL (dev and dev
// generate only: the others require one) it first starts the local
// cluster (localDatabase). closeDB closes the database and stops what was
// started.
func migratedDB(ctx context.Context, e env, cfg *config.Config) (db *sqlx.DB, closeDB func(), err error) {
	stop := func() {}
	if cfg.DatabaseURL == "" {
		if stop, err = localDatabase(ctx, e, cfg); err != nil {
			return nil, nil, err
		}
	}
	if db, err = openDB(ctx, cfg.DatabaseURL); err != nil {
		stop()
		return nil, nil, err
	}
	if err := migrate(ctx, e, db); err != nil {
		_ = db.Close() // the migration's error is the one to report
		stop()
		return nil, nil, err
	}
	return db, func() { _ = db.Close(); stop() }, nil // on the way out: a pool's close error changes nothing
}

// migrate applies the pending migrations, saying what ran.
func migrate(ctx context.Context, e env, db *sqlx.DB) error {
	ran, err := store.Migrate(ctx, db)
	for _, m := range ran {
		fmt.Fprintf(e.stdout, "applied %s (%s)\n", m.Name, m.Duration)
	}
	if err != nil {
		return err
	}
	current, _, err := store.SchemaVersion(ctx, db)
	if err != nil {
		return err
	}
	if len(ran) == 0 {
		fmt.Fprintf(e.stdout, "schema is current (version %d); nothing to apply\n", current)
	} else {
		fmt.Fprintf(e.stdout, "schema is now at version %d\n", current)
	}
	return nil
}

func cmdSeed(ctx context.Context, e env, args []string) error {
	cfg, err := command{name: "seed", summary: "Create the demo data where it is missing and print how to sign in.", needDB: true}.parse(e, args, nil)
	if err != nil {
		return err
	}
	db, err := currentDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	return seed(ctx, e, db)
}

func seed(ctx context.Context, e env, db *sqlx.DB) error {
	st := store.New(db)
	accounts, err := demo.Seed(ctx, st)
	if err != nil {
		return err
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		return err
	}
	created := 0
	for _, a := range accounts {
		if a.Created {
			created++
		}
	}
	fmt.Fprintf(e.stdout, "demo data ready (%d accounts created, %d already there; sample APIs fleet, telemetry and maintenance). Sign in with password %q as:\n", created, len(accounts)-created, demo.Password)
	for _, a := range accounts {
		who := roleLabel(a.Role)
		if a.Partner != "" {
			who += " at " + a.Partner
		}
		fmt.Fprintf(e.stdout, "  %-22s %s\n", a.Email, who)
	}
	return nil
}

func roleLabel(role string) string {
	switch role {
	case store.RoleAdmin:
		return "platform admin"
	case store.RoleAccountManager:
		return "account manager"
	case store.RolePartnerAdmin:
		return "partner admin"
	case store.RoleDeveloper:
		return "developer"
	}
	return role
}

func cmdAdminCreate(ctx context.Context, e env, args []string) error {
	var email, name, role string
	var pwStdin bool
	cfg, err := command{name: "admin create", needDB: true,
		summary: "Create a provider staff account. The password is read from standard input (one line),\nso it never appears in the shell history or the process list."}.parse(e, args, func(fs *flag.FlagSet) {
		fs.StringVar(&email, "email", "", "email address (required)")
		fs.StringVar(&name, "name", "", "full name (required)")
		fs.StringVar(&role, "role", "", "admin or account_manager (required)")
		fs.BoolVar(&pwStdin, "password-stdin", false, "read the password from standard input (required)")
	})
	if err != nil {
		return err
	}
	email = store.NormalizeEmail(email)
	switch {
	case email == "" || !strings.Contains(email, "@"):
		return usageError{"admin create: --email must be an email address"}
	case strings.TrimSpace(name) == "":
		return usageError{"admin create: --name is required"}
	case role != store.RoleAdmin && role != store.RoleAccountManager:
		return usageError{fmt.Sprintf("admin create: --role must be admin or account_manager, not %q", role)}
	case !pwStdin:
		return usageError{"admin create: --password-stdin is required (pipe the password in)"}
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return usageError{"admin create: no password on standard input"}
	}
	pw := strings.TrimRight(line, "\r\n")
	if err := password.Validate(pw, email, name); err != nil {
		return usageError{"admin create: " + err.Error()}
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	db, err := currentDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := store.New(db).CreateUser(ctx, store.NewUser{Email: email, Name: name, Role: role, PasswordHash: hash})
	if errors.Is(err, store.ErrEmailTaken) {
		return usageError{fmt.Sprintf("admin create: a user with email %s already exists", email)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created %s %s <%s> (user %d)\n", roleLabel(u.Role), u.Name, u.Email, u.ID)
	return nil
}
