package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// markdown is BENCHMARKS.md for r.
func markdown(r *report) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	c := r.Config
	p("# Benchmarks\n\n")
	p("Written by `make bench` (`cmd/portico-bench`) on %s: %d cores (%s), %s.\n", r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Machine.Cores, r.Machine.CPU, r.Machine.Go)
	p("Everything runs on this machine over loopback: wrk `-t%d -c%d`, %d round(s) of %s per target, round-robin over the targets\n", c.Threads, c.Connections, c.Rounds, c.Duration)
	p("after a %s warm-up of each; each figure is the median of the rounds. Absolute numbers move from run to run on a\n", c.Warmup)
	p("shared machine: compare only within one run. `BENCH_ROUNDS` and `BENCH_DURATION` change the rounds and their length.\n")
	if r.Edge {
		p("Portico served `PORTICO_GATEWAY_ADDR` (the gateway edge): `/live` and `/sandbox` are measured on it and on the portal's listener.\n")
	} else {
		p("Portico did not serve `PORTICO_GATEWAY_ADDR` (no gateway edge in this build): `/live` and `/sandbox` are measured on the portal's listener.\n")
	}
	if r.Note != "" {
		p("\n**%s**\n", r.Note)
	}

	p("\n## Aims\n\n| aim (issue 18) | measured | |\n|---|---:|---|\n")
	for _, row := range r.ratios() {
		if row.Aim != "" {
			p("| %s %s | %s | %s |\n", row.Name, row.Aim, ratioText(row), metText(row))
		}
	}
	if r.Chain != nil {
		met := r.Chain.AllocsOp <= maxChainAllocs
		p("| in-process chain ≤ %d allocs/call | %s | %s |\n", maxChainAllocs, strconv.FormatFloat(r.Chain.AllocsOp, 'f', -1, 64), metWord(met))
	} else {
		p("| in-process chain ≤ %d allocs/call | not measured | |\n", maxChainAllocs)
	}
	if a := r.Audit; a != nil {
		p("| every served call audited (rows ≥ answered − refused) | %d rows, %d answered − %d refused | %s |\n", a.Rows, a.Answered, a.Refused, metWord(a.Rows >= a.served()))
	}

	p("\n## Throughput\n\nreq/s counts served answers (2xx or 3xx) only; the refusals are in the last column.\n\n| target | req/s | p50 | p99 | ×direct | req/s per round | non-2xx, errors |\n|---|---:|---:|---:|---:|---|---:|\n")
	direct, okDirect := r.target(tDirect)
	for _, t := range r.Targets {
		if !t.measured() {
			p("| %s | not measured: %s | | | | | |\n", t.Name, t.Skipped)
			continue
		}
		s := summarize(t.Rounds)
		x := ""
		if okDirect {
			if d := summarize(direct.Rounds).RPS; d > 0 {
				x = fmt.Sprintf("%.2f×", s.RPS/d)
			}
		}
		per := make([]string, len(t.Rounds))
		for i, rd := range t.Rounds {
			per[i] = rps(servedRPS(rd))
		}
		p("| %s | %s | %s | %s | %s | %s | %d, %d |\n", t.Name, rps(s.RPS), dur(s.P50), dur(s.P99), x, strings.Join(per, ", "), s.Non2xx, s.Errors)
	}
	p("\n")
	for _, t := range r.Targets {
		p("- %s: %s\n", t.Name, t.What)
	}

	p("\n## Ratios\n\n| ratio | value | aim | |\n|---|---:|---|---|\n")
	for _, row := range r.ratios() {
		p("| %s | %s | %s | %s |\n", row.Name, ratioText(row), row.Aim, metText(row))
	}

	if a := r.Audit; a != nil {
		p("\n## Calls answered and audit rows\n\n")
		p("wrk's totals for Portico's targets (warm-ups included): **%d** calls answered; rows the calls table gained, counted after a\n", a.Answered)
		p("graceful stop (SIGTERM) flushed the audit queue: **%d**. wrk does not count the calls still in flight when a run ends\n", a.Rows)
		p("(at most %d here), which Portico answered and audited too. **%d** of the answers were refusals (not 2xx or 3xx): under\n", a.InFlight, a.Refused)
		p("this load, the 503 `unavailable` the gateway answers instead of serving a call while its audit queue is full, which by\n")
		p("design are neither served nor audited. So rows ≥ answered − refused means no served call went unaudited.\n")
	}

	if v := r.Revocation; v != nil {
		p("\n## Revocation seen by a second and third node\n\n")
		p("Three `portico serve` processes on one PostgreSQL. For each token: nodes 2 and 3 answer a `/live` call with it (so they hold it\n")
		p("in their caches), node 1 revokes it (`DELETE /api/v1/tokens/{id}` with a partner admin's token, as a user does), and nodes 2\n")
		p("and 3 are polled in a tight loop until both refuse it. The time runs from node 1's 204 to the second refusal.\n\n")
		p("| revoked | p50 | p99 | max |\n|---:|---:|---:|---:|\n")
		p("| %d | %s | %s | %s |\n", v.Revoked, dur(percentile(v.Lag, 50)), dur(percentile(v.Lag, 99)), dur(percentile(v.Lag, 100)))
		if v.Note != "" {
			p("\n%s\n", v.Note)
		}
	}

	if g := r.Ingestion; g != nil {
		p("\n## Audit ingestion\n\n")
		p("The gateway's calls writer (`internal/calls`, batched COPY and per-minute rollups) alone, fed as fast as it takes calls, into\n")
		p("the same PostgreSQL; the rows are counted after its shutdown flush.\n\n")
		p("| recorded | rows written | lost | events/s |\n|---:|---:|---:|---:|\n")
		p("| %d | %d | %d | %s |\n", g.Recorded, g.Rows, g.Recorded-g.Rows, rps(float64(g.Rows)/g.Elapsed.Seconds()))
	}

	if t := r.OAuth; t != nil {
		p("\n## OAuth token endpoint\n\n")
		p("wrk POSTs `grant_type=client_credentials` with a client's id and secret (HTTP Basic) to node 1's `/oauth/token`: each call\n")
		p("authenticates the client and stores a new access token.\n\n")
		if !t.measured() {
			p("Not measured: %s\n", t.Skipped)
		} else {
			s := summarize(t.Rounds)
			p("| req/s | p50 | p99 | non-2xx, errors |\n|---:|---:|---:|---:|\n")
			p("| %s | %s | %s | %d, %d |\n", rps(s.RPS), dur(s.P50), dur(s.P99), s.Non2xx, s.Errors)
		}
	}

	if ch := r.Chain; ch != nil {
		p("\n## In-process chain\n\n")
		p("`go test -run '^$' -bench '^BenchmarkChain$' -benchmem ./handlers/gateway`: credential from the cache, operation match,\n")
		p("scope, rate limit, request validation and audit record around a trivial backend.\n\n")
		p("| ns/op | B/op | allocs/op |\n|---:|---:|---:|\n")
		p("| %s | %s | %s |\n", num(ch.NsOp), num(ch.BytesOp), num(ch.AllocsOp))
	}

	if len(r.Problems) > 0 {
		p("\n## Not measured\n\n")
		for _, s := range r.Problems {
			p("- %s\n", s)
		}
	}
	return b.String()
}

func ratioText(r ratioRow) string {
	if !r.Measured {
		return "not measured"
	}
	return fmt.Sprintf("%.2f×", r.Value)
}

func metText(r ratioRow) string {
	if r.Aim == "" || !r.Measured {
		return ""
	}
	return metWord(r.Met)
}

func metWord(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

// rps is a rate rounded to a whole number, thousands spaced.
func rps(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	s := strconv.FormatInt(int64(math.Round(v)), 10)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ' ')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// dur is a latency in µs below a millisecond, else ms, three figures.
func dur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + " µs"
	case d < 10*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
	case d < 100*time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
	default:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + " ms"
	}
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
