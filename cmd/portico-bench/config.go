package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// config is one benchmark run's settings.
type config struct {
	// Rounds is how many times each target is measured, round-robin over
	// the targets (BENCH_ROUNDS, default 2); the report gives the median.
	Rounds int
	// Duration is one wrk measurement (BENCH_DURATION, default 10s).
	Duration time.Duration
	// Warmup is the wrk run each target gets once before the rounds.
	Warmup time.Duration
	// Threads and Connections are wrk's -t and -c.
	Threads, Connections int
	// Revocations is how many tokens the three-node section revokes.
	Revocations int
	// Out is the markdown file written.
	Out string
	// Repo is the module's root: binaries are built from it.
	Repo string
	// Note is a line put under the report's title (BENCH_NOTE), such as
	// what else the machine was doing.
	Note string
}

// parseConfig reads the flags, their defaults from the environment.
func parseConfig(args []string, getenv func(string) string) (config, error) {
	c := config{Rounds: 2, Duration: 10 * time.Second, Warmup: 2 * time.Second, Threads: 2, Connections: 50, Revocations: 1000,
		Note: getenv("BENCH_NOTE")}
	if s := getenv("BENCH_ROUNDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return c, fmt.Errorf("BENCH_ROUNDS: %q is not a whole number", s)
		}
		c.Rounds = n
	}
	if s := getenv("BENCH_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			return c, fmt.Errorf("BENCH_DURATION: %q is not a duration such as 10s", s)
		}
		c.Duration = d
	}
	fs := flag.NewFlagSet("portico-bench", flag.ContinueOnError)
	fs.IntVar(&c.Rounds, "rounds", c.Rounds, "measurements of each target, round-robin (env BENCH_ROUNDS)")
	fs.DurationVar(&c.Duration, "duration", c.Duration, "length of one wrk measurement (env BENCH_DURATION)")
	fs.DurationVar(&c.Warmup, "warmup", c.Warmup, "wrk run of each target before the rounds")
	fs.IntVar(&c.Threads, "threads", c.Threads, "wrk threads")
	fs.IntVar(&c.Connections, "connections", c.Connections, "wrk connections")
	fs.IntVar(&c.Revocations, "revocations", c.Revocations, "tokens revoked through node 1 and watched on nodes 2 and 3")
	fs.StringVar(&c.Note, "note", c.Note, "a line put under the report's title (env BENCH_NOTE)")
	fs.StringVar(&c.Out, "out", "BENCHMARKS.md", "markdown file to write (relative to the module root)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case c.Rounds < 1:
		return c, errors.New("rounds: at least 1")
	case c.Duration < time.Second:
		return c, errors.New("duration: at least 1s (wrk counts whole seconds)")
	case c.Threads < 1 || c.Connections < c.Threads:
		return c, errors.New("threads: at least 1, and no more than connections")
	case c.Revocations < 1:
		return c, errors.New("revocations: at least 1")
	}
	root, err := moduleRoot()
	if err != nil {
		return c, err
	}
	c.Repo = root
	if !filepath.IsAbs(c.Out) {
		c.Out = filepath.Join(root, c.Out)
	}
	return c, nil
}

// moduleRoot is the nearest folder up from the working directory that
// holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run me inside the portico module (no go.mod found above the working directory)")
		}
		dir = parent
	}
}
