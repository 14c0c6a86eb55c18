package main

import (
	"fmt"
	"time"
)

// The targets wrk measures, by name.
const (
	tDirect      = "upstream directly"
	tNGINX       = "NGINX proxy_pass"
	tNetHTTP     = "bare net/http proxy"
	tFastHTTP    = "bare fasthttp proxy"
	tLive        = "Portico /live"
	tLiveEdge    = "Portico /live (gateway edge)"
	tEcho        = "bare echo handler"
	tSandbox     = "Portico /sandbox"
	tSandboxEdge = "Portico /sandbox (gateway edge)"
)

// target is one URL wrk measures, with its rounds.
type target struct {
	Name string
	// What says what answers, for the report.
	What string
	URL  string
	// Headers are sent with every call (the PAT).
	Headers []string
	// Audited: Portico records each call (counted against audit rows).
	Audited bool
	Rounds  []wrkResult
	// Skipped says why the target was not measured ("" when it was).
	Skipped string
}

func (t target) measured() bool { return t.Skipped == "" && len(t.Rounds) > 0 }

// machine is where the run happened.
type machine struct {
	Cores int
	CPU   string
	Go    string
}

// auditCount compares the calls Portico answered under wrk with the rows
// its audit trail gained, read after a graceful stop flushed the queue.
type auditCount struct {
	Answered, Rows int64
	// Refused counts the answers that were not 2xx or 3xx: under this
	// load, the 503s the gateway gives when its audit queue is full. It
	// serves none of those calls and, by design, audits none of them.
	Refused int64
	// InFlight bounds the calls wrk stopped waiting for (connections ×
	// runs): audited, but not in wrk's totals.
	InFlight int64
}

// served is the number of calls that should each have an audit row.
func (a auditCount) served() int64 { return a.Answered - a.Refused }

// revocation is the three-node section's outcome.
type revocation struct {
	Revoked int
	// Lag is, per revoked token, from node 1's 204 until both other nodes
	// refuse it.
	Lag []time.Duration
	// Note says why fewer than asked were revoked, if so.
	Note string
}

// ingestion is audit events written straight through the calls writer.
type ingestion struct {
	Recorded, Rows int64
	Elapsed        time.Duration
}

// chain is BenchmarkChain's line.
type chain struct {
	NsOp, BytesOp, AllocsOp float64
}

// report is everything BENCHMARKS.md says.
type report struct {
	Date    time.Time
	Machine machine
	Config  config
	// Edge says whether the binary served PORTICO_GATEWAY_ADDR.
	Edge       bool
	Targets    []target
	Audit      *auditCount
	Revocation *revocation
	Ingestion  *ingestion
	OAuth      *target
	Chain      *chain
	// Note is a line of the operator's under the title (BENCH_NOTE).
	Note string
	// Problems are sections that could not be measured, and why.
	Problems []string
}

func (r *report) target(name string) (target, bool) {
	for _, t := range r.Targets {
		if t.Name == name {
			return t, t.measured()
		}
	}
	return target{}, false
}

// ratioRow is one line of the ratios table.
type ratioRow struct {
	Name string
	// Value is the ratio; Measured is false when either side is missing.
	Value    float64
	Measured bool
	// Aim is the floor ("" for none); Met is meaningful with it.
	Aim string
	Met bool
}

// aim is a bound on a ratio.
type aim struct {
	atLeast bool
	bound   float64
}

func (a aim) String() string {
	if a.bound == 0 {
		return ""
	}
	if a.atLeast {
		return fmt.Sprintf("≥ %.2f×", a.bound)
	}
	return fmt.Sprintf("≤ %.2f×", a.bound)
}

func (a aim) met(v float64) bool {
	if a.atLeast {
		return v >= a.bound
	}
	return v <= a.bound
}

// ratios are the report's comparisons, each with the aim where it
// has one: /live to direct, NGINX and each bare proxy (req/s, and p99 to
// the bare net/http proxy's), /sandbox to the bare echo handler.
func (r *report) ratios() []ratioRow {
	var rows []ratioRow
	add := func(name, of, to string, p99 bool, a aim) {
		row := ratioRow{Name: name, Aim: a.String()}
		x, okx := r.target(of)
		y, oky := r.target(to)
		if okx && oky {
			sx, sy := summarize(x.Rounds), summarize(y.Rounds)
			switch {
			case p99 && sy.P99 > 0:
				row.Value, row.Measured = float64(sx.P99)/float64(sy.P99), true
			case !p99 && sy.RPS > 0:
				row.Value, row.Measured = sx.RPS/sy.RPS, true
			}
		}
		row.Met = row.Measured && a.bound != 0 && a.met(row.Value)
		rows = append(rows, row)
	}
	for _, live := range []string{tLive, tLiveEdge} {
		if _, ok := r.target(live); !ok && live == tLiveEdge {
			continue
		}
		add(live+" ÷ "+tDirect+" (req/s)", live, tDirect, false, aim{})
		add(live+" ÷ "+tNGINX+" (req/s)", live, tNGINX, false, aim{})
		add(live+" ÷ "+tNetHTTP+" (req/s)", live, tNetHTTP, false, aim{true, 1.6})
		add(live+" ÷ "+tFastHTTP+" (req/s)", live, tFastHTTP, false, aim{true, 0.8})
		add(live+" ÷ "+tNetHTTP+" (p99)", live, tNetHTTP, true, aim{false, 1})
	}
	for _, sbx := range []string{tSandbox, tSandboxEdge} {
		if _, ok := r.target(sbx); !ok && sbx == tSandboxEdge {
			continue
		}
		add(sbx+" ÷ "+tEcho+" (req/s)", sbx, tEcho, false, aim{true, 0.85})
	}
	add(tNGINX+" ÷ "+tDirect+" (req/s)", tNGINX, tDirect, false, aim{})
	add(tNetHTTP+" ÷ "+tDirect+" (req/s)", tNetHTTP, tDirect, false, aim{})
	add(tFastHTTP+" ÷ "+tDirect+" (req/s)", tFastHTTP, tDirect, false, aim{})
	add(tFastHTTP+" ÷ "+tNetHTTP+" (req/s)", tFastHTTP, tNetHTTP, false, aim{})
	return rows
}

// maxChainAllocs is the aim for the in-process chain.
const maxChainAllocs = 20
