package main

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/report.md from the writer")

// rounds are two wrk rounds of rps1 and rps2 req/s with the given p99s.
func rounds(rps1, rps2 float64, p99 time.Duration) []wrkResult {
	return []wrkResult{
		{Requests: int64(rps1) * 10, RPS: rps1, P50: time.Millisecond, P99: p99},
		{Requests: int64(rps2) * 10, RPS: rps2, P50: 3 * time.Millisecond, P99: p99},
	}
}

// sample is a whole run's report: net/http at 10k, fasthttp at 20k, /live
// at 17k (1.7× net/http, 0.85× fasthttp, p99 under net/http's), /sandbox
// at 8k of echo's 10k (0.80×, short of 0.85×).
func sample() *report {
	ms := time.Millisecond
	return &report{
		Date:    time.Date(2026, 12, 5, 13, 4, 0, 0, time.UTC),
		Machine: machine{Cores: 2, CPU: "AMD EPYC", Go: "go1.26.8"},
		Config:  config{Rounds: 2, Duration: 10 * time.Second, Warmup: 2 * time.Second, Threads: 2, Connections: 50},
		Note:    "Taken on a busy machine.",
		Targets: []target{
			{Name: tDirect, What: "the upstream", Rounds: rounds(50000, 54000, 2*ms)},
			{Name: tNGINX, What: "NGINX", Rounds: rounds(30000, 30000, 4*ms)},
			{Name: tNetHTTP, What: "net/http", Rounds: rounds(9000, 11000, 20*ms)},
			{Name: tFastHTTP, What: "fasthttp", Rounds: rounds(20000, 20000, 5*ms)},
			{Name: tLive, What: "live", Rounds: rounds(17000, 17000, 10*ms), Audited: true},
			{Name: tEcho, What: "echo", Rounds: rounds(10000, 10000, 5*ms)},
			{Name: tSandbox, What: "sandbox", Rounds: rounds(8000, 8000, 6*ms), Audited: true},
		},
		Audit:      &auditCount{Answered: 250000, Refused: 1000, Rows: 249040, InFlight: 400},
		Revocation: &revocation{Revoked: 3, Lag: []time.Duration{2 * ms, 1 * ms, 40 * ms}},
		Ingestion:  &ingestion{Recorded: 500000, Rows: 500000, Elapsed: 10 * time.Second},
		OAuth:      &target{Name: "OAuth /oauth/token", Rounds: rounds(1500, 1700, 80*ms)},
		Chain:      &chain{NsOp: 3215, BytesOp: 1278, AllocsOp: 29},
		Problems:   []string{"three nodes: node 2 did not start"},
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	got := markdown(sample())
	golden := filepath.Join("testdata", "report.md")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("markdown (-%s +got):\n%s", golden, diff)
	}
}

func TestRatios(t *testing.T) {
	t.Parallel()
	full := sample()
	skipped := sample()
	skipped.Targets[3].Skipped = "GET answered 502" // fasthttp
	withEdge := sample()
	withEdge.Targets = append(withEdge.Targets, target{Name: tLiveEdge, Rounds: rounds(30000, 30000, 4*time.Millisecond)})
	find := func(rows []ratioRow, name string) *ratioRow {
		for i := range rows {
			if rows[i].Name == name {
				return &rows[i]
			}
		}
		return nil
	}
	tests := []struct {
		name string
		r    *report
		row  string
		want *ratioRow
	}{
		{"above the net/http floor", full, "Portico /live ÷ bare net/http proxy (req/s)",
			&ratioRow{Name: "Portico /live ÷ bare net/http proxy (req/s)", Value: 1.7, Measured: true, Aim: "≥ 1.60×", Met: true}},
		{"above the fasthttp floor", full, "Portico /live ÷ bare fasthttp proxy (req/s)",
			&ratioRow{Name: "Portico /live ÷ bare fasthttp proxy (req/s)", Value: 0.85, Measured: true, Aim: "≥ 0.80×", Met: true}},
		{"p99 under net/http's", full, "Portico /live ÷ bare net/http proxy (p99)",
			&ratioRow{Name: "Portico /live ÷ bare net/http proxy (p99)", Value: 0.5, Measured: true, Aim: "≤ 1.00×", Met: true}},
		{"sandbox short of its floor", full, "Portico /sandbox ÷ bare echo handler (req/s)",
			&ratioRow{Name: "Portico /sandbox ÷ bare echo handler (req/s)", Value: 0.8, Measured: true, Aim: "≥ 0.85×"}},
		{"no aim", full, "Portico /live ÷ upstream directly (req/s)",
			&ratioRow{Name: "Portico /live ÷ upstream directly (req/s)", Value: 17000.0 / 52000, Measured: true}},
		{"a side not measured", skipped, "Portico /live ÷ bare fasthttp proxy (req/s)",
			&ratioRow{Name: "Portico /live ÷ bare fasthttp proxy (req/s)", Aim: "≥ 0.80×"}},
		{"no edge, no edge rows", full, "Portico /live (gateway edge) ÷ bare fasthttp proxy (req/s)", nil},
		{"the edge has its own rows", withEdge, "Portico /live (gateway edge) ÷ bare fasthttp proxy (req/s)",
			&ratioRow{Name: "Portico /live (gateway edge) ÷ bare fasthttp proxy (req/s)", Value: 1.5, Measured: true, Aim: "≥ 0.80×", Met: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := find(tt.r.ratios(), tt.row)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 })); diff != "" {
				t.Errorf("ratio %q (-want +got):\n%s", tt.row, diff)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	tests := []struct{ got, want string }{
		{rps(0), "0"},
		{rps(999.6), "1 000"},
		{rps(52340.2), "52 340"},
		{rps(1234567), "1 234 567"},
		{dur(250 * time.Microsecond), "250 µs"},
		{dur(1500 * time.Microsecond), "1.50 ms"},
		{dur(32400 * time.Microsecond), "32.4 ms"},
		{dur(1020 * time.Millisecond), "1020 ms"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
