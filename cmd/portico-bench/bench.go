package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// bench is the whole benchmark: throughput rounds, three nodes, audit
// ingestion and the in-process chain, then BENCHMARKS.md. A section that
// fails is named in the report's "Not measured" and makes the run fail
// after the report is written; an interrupt stops everything at once.
func bench(ctx context.Context, cfg config) error {
	if err := ensureTools(ctx); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "portico-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil { // #nosec G302 -- a folder: the postgres user runs the cluster below it when we are root
		return err
	}
	ps := &procs{logDir: work}
	defer ps.stopAll()

	r := &report{Date: time.Now(), Machine: thisMachine(ctx, cfg.Repo), Config: cfg, Note: cfg.Note}
	fmt.Fprintln(os.Stderr, "bench: building portico and the upstream")
	bin, err := build(ctx, cfg.Repo, work, "portico", "./cmd/portico")
	if err != nil {
		return err
	}
	upBin, err := build(ctx, cfg.Repo, work, "upstream", "./scripts/bench/upstream")
	if err != nil {
		return err
	}
	upstreamAddr, err := freeAddr()
	if err != nil {
		return err
	}
	up, err := ps.start("upstream", upBin, []string{"-addr", upstreamAddr}, nil)
	if err != nil {
		return err
	}
	if err := up.waitHTTP(ctx, "http://"+upstreamAddr+"/spreaders", 200, 10*time.Second); err != nil {
		return err
	}
	pt, stopCluster, err := startPortico(ctx, ps, bin, work)
	if err != nil {
		return err
	}
	defer stopCluster()
	defer pt.close()

	var failed []error
	section := func(name string, f func() error) {
		if ctx.Err() != nil {
			return
		}
		start := time.Now()
		fmt.Fprintf(os.Stderr, "bench: %s\n", name)
		if err := f(); err != nil {
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %v", name, firstLine(err)))
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
		}
		fmt.Fprintf(os.Stderr, "bench: %s took %s\n", name, time.Since(start).Round(time.Second))
	}
	section("throughput rounds", func() error { return throughput(ctx, cfg, pt, work, upstreamAddr, r) })
	section("three nodes", func() error { return threeNodes(ctx, cfg, pt, work, r) })
	section("audit ingestion", func() error {
		var err error
		r.Ingestion, err = ingest(ctx, pt, cfg.Duration)
		return err
	})
	// PostgreSQL and the servers stop before the chain's benchmark, which
	// starts a PostgreSQL of its own.
	ps.stopAll()
	pt.close()
	stopCluster()
	section("in-process chain", func() error {
		var err error
		r.Chain, err = chainBench(ctx, cfg.Repo)
		return err
	})
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.Out, []byte(markdown(r)), 0o644); err != nil { // #nosec G306 -- BENCHMARKS.md, committed like the other sources
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: wrote %s\n", cfg.Out)
	return errors.Join(failed...)
}

// firstLine is an error's first line, for the report (the logs that follow
// it go to the terminal).
func firstLine(err error) string {
	s := err.Error()
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
