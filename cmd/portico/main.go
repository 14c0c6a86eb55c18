// Command portico is the partner developer portal and API gateway: one
// binary with the commands serve, migrate, seed, admin create and dev.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, "portico:", err)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "portico:", err)
		os.Exit(1)
	}
}

// usageError is a mistake in the command line or the settings.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// env bundles what a command reads from and writes to, so tests run
// commands in-process with their own environment and buffers.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

const usage = `Portico: partner developer portal and API gateway.

Usage:
  portico <command> [flags]

Commands:
  serve          migrate the database, then serve the portal and the gateway
  migrate        apply pending database migrations and print what ran
  seed           create the demo data (idempotent) and print how to sign in
  admin create   create a provider staff account (platform admin or account manager)
  dev            run the demo: a local PostgreSQL when DATABASE_URL is unset, migrate, seed, serve
  dev generate   fill the database with a provider's load (200 partners ... 10 M calls) to measure pages
  retention run  remove calls and usage older than the retention settings now (serve does it daily)
  version        print the version

Settings come from the environment; flags override them:
  DATABASE_URL       PostgreSQL URL (postgres://user:pass@host/db)
  PORTICO_ADDR       listen address (default 127.0.0.1:8080)
  PORTICO_BASE_URL   public URL of the portal (default http://ADDR)
  PORTICO_SECRET     at least 32 bytes keying sessions and token HMACs
                     (outside production generated once into PORTICO_DATA)
  PORTICO_DATA       folder for local state (default .data)
  PORTICO_ENV        "production" refuses development conveniences

Run "portico <command> --help" for a command's flags.
`

// run is the whole program: it parses the command line and runs a command
// until it finishes or ctx is cancelled.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{
		getenv: getenv,
		stdin:  stdin,
		stdout: stdout,
		stderr: stderr,
		log:    newLogger(getenv, stderr),
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version":
		fmt.Fprintln(stdout, "portico", version)
		return nil
	case "serve":
		return cmdServe(ctx, e, args[1:])
	case "migrate":
		return cmdMigrate(ctx, e, args[1:])
	case "seed":
		return cmdSeed(ctx, e, args[1:])
	case "admin":
		if len(args) < 2 || args[1] != "create" {
			return usageError{`unknown admin command: use "portico admin create --help"`}
		}
		return cmdAdminCreate(ctx, e, args[2:])
	case "dev":
		if len(args) > 1 && args[1] == "generate" {
			return cmdGenerate(ctx, e, args[2:])
		}
		return cmdDev(ctx, e, args[1:])
	case "retention":
		return cmdRetention(ctx, e, args[1:])
	default:
		fmt.Fprint(stderr, usage)
		return usageError{fmt.Sprintf("unknown command %q", args[0])}
	}
}

// newLogger writes structured logs to stderr: text for people, JSON when
// PORTICO_LOG_FORMAT=json for log collectors.
func newLogger(getenv func(string) string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if getenv("PORTICO_LOG_FORMAT") == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
