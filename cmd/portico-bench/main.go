// Command portico-bench is `make bench`'s measurement of the gateway
// against its floors: it starts the trivial upstream, NGINX, a bare
// net/http reverse proxy, a bare fasthttp proxy, Portico and a bare echo
// handler serving the sandbox's own bytes, all on loopback, runs wrk
// against each in alternating rounds, measures revocation across three
// nodes, audit ingestion, the OAuth token endpoint and the in-process
// chain, and writes BENCHMARKS.md.
//
//	portico-bench [-rounds N] [-duration 10s] [-out BENCHMARKS.md]
//
// BENCH_ROUNDS and BENCH_DURATION set the defaults of -rounds and
// -duration. `portico-bench serve ROLE ...` runs one of the bare servers;
// the benchmark starts itself that way, so each server is a process of its
// own, as Portico and NGINX are.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "portico-bench:", err)
		os.Exit(1)
	}
}

// run is the whole program: a bare server when asked for one, otherwise
// the benchmark.
func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "serve" {
		return serveRole(ctx, args[1:])
	}
	cfg, err := parseConfig(args, os.Getenv)
	if err != nil {
		return err
	}
	return bench(ctx, cfg)
}
