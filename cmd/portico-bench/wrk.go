package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	Requests int64 // responses completed
	Elapsed  time.Duration
	RPS      float64
	P50, P99 time.Duration
	// Non2xx counts answers that were neither 2xx nor 3xx; Errors the
	// socket errors (connect, read, write, timeout).
	Non2xx, Errors int64
}

// wrkRun is one wrk invocation.
type wrkRun struct {
	URL         string
	Threads     int
	Connections int
	Duration    time.Duration
	Headers     []string // "Name: value"
	Script      string   // a lua script (for a POST body), or ""
}

func (w wrkRun) args() []string {
	secs := int((w.Duration + time.Second - 1) / time.Second)
	a := []string{"-t" + strconv.Itoa(w.Threads), "-c" + strconv.Itoa(w.Connections), "-d" + strconv.Itoa(secs) + "s", "--latency"}
	for _, h := range w.Headers {
		a = append(a, "-H", h)
	}
	if w.Script != "" {
		a = append(a, "-s", w.Script)
	}
	return append(a, w.URL)
}

// runWrk runs wrk and parses what it printed.
func runWrk(ctx context.Context, w wrkRun) (wrkResult, error) {
	out, err := exec.CommandContext(ctx, "wrk", w.args()...).CombinedOutput() // #nosec G204 -- wrk, with arguments the bench made
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w\n%s", w.URL, err, out)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return r, fmt.Errorf("wrk %s: %w", w.URL, err)
	}
	return r, nil
}

// parseWrk reads wrk's --latency report.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var seen struct{ rps, total, p50, p99 bool }
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		var err error
		switch {
		case len(f) == 2 && f[0] == "Requests/sec:":
			r.RPS, err = strconv.ParseFloat(f[1], 64)
			seen.rps = true
		case len(f) >= 4 && f[1] == "requests" && f[2] == "in":
			if r.Requests, err = strconv.ParseInt(f[0], 10, 64); err == nil {
				r.Elapsed, err = time.ParseDuration(strings.TrimSuffix(f[3], ","))
			}
			seen.total = true
		case len(f) == 2 && f[0] == "50%":
			r.P50, err = time.ParseDuration(f[1])
			seen.p50 = true
		case len(f) == 2 && f[0] == "99%":
			r.P99, err = time.ParseDuration(f[1])
			seen.p99 = true
		case len(f) == 5 && strings.Join(f[:4], " ") == "Non-2xx or 3xx responses:":
			r.Non2xx, err = strconv.ParseInt(f[4], 10, 64)
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			// Socket errors: connect 0, read 0, write 0, timeout 0
			for i := 3; i < len(f); i += 2 {
				var n int64
				if n, err = strconv.ParseInt(strings.TrimSuffix(f[i], ","), 10, 64); err != nil {
					break
				}
				r.Errors += n
			}
		}
		if err != nil {
			return r, fmt.Errorf("cannot read %q: %w", sc.Text(), err)
		}
	}
	if !seen.rps || !seen.total || !seen.p50 || !seen.p99 {
		return r, fmt.Errorf("no Requests/sec, total or latency distribution (was --latency given?) in:\n%s", out)
	}
	return r, nil
}
