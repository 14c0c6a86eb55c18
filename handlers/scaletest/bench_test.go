package scaletest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/dataset"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// The benchmark's settings, from the environment so that `make bench` and
// a person at a shell set them alike:
//
//	PORTICO_BENCH_SCALE         data set size: a factor of issue 12's (default 0.02), or "full"
//	PORTICO_BENCH_DATABASE_URL  measure a database filled by `portico dev generate` instead
//	                            of generating one (the scale is then the database's; pending
//	                            migrations are applied first)
//	PORTICO_BENCH_RUNS          requests per page for p50/p95, at least (default 20)
//	PORTICO_BENCH_TABLE         write the markdown table (page | role | p50 | p95 | bytes | queries) here
const defaultBenchScale = 0.02

// BenchmarkPages requests every list page and /api/v1 list as every role
// that sees it, through the real handler stack and signed in, on the
// generated data set. Each sub-benchmark (role/page) reports the median
// and 95th percentile of the time to the response's last byte over at
// least PORTICO_BENCH_RUNS requests after one warm-up (data cached), the
// bytes of the response and the SQL statements it ran.
func BenchmarkPages(b *testing.B) {
	p, about := benchPortal(b)
	runs := 20
	if s := os.Getenv("PORTICO_BENCH_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("PORTICO_BENCH_RUNS=%q is not a positive number", s)
		}
		runs = n
	}
	var mu sync.Mutex
	var rows []tableRow
	for _, c := range cases() {
		name := strings.ReplaceAll(c.role, " ", "_") + "/" + benchName(c.page.name)
		b.Run(name, func(b *testing.B) {
			path := c.page.path(p.result)
			if s := p.get(b, c.role, path); s.status != http.StatusOK {
				b.Fatalf("GET %s as %s = %d", path, c.role, s.status)
			}
			var samples []sample
			for b.Loop() {
				samples = append(samples, p.get(b, c.role, path))
			}
			for len(samples) < runs {
				samples = append(samples, p.get(b, c.role, path))
			}
			row := summarize(c.page.name, c.role, samples)
			b.ReportMetric(row.p50, "p50-ms")
			b.ReportMetric(row.p95, "p95-ms")
			b.ReportMetric(float64(row.bytes), "bytes/page")
			b.ReportMetric(float64(row.queries), "queries/op")
			mu.Lock()
			rows = append(rows, row)
			mu.Unlock()
		})
	}
	if out := os.Getenv("PORTICO_BENCH_TABLE"); out != "" && len(rows) > 0 {
		if err := os.WriteFile(out, []byte(markdownTable(about, runs, rows)), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Logf("table written to %s", out)
	}
}

// benchPortal is the portal over the benchmark's data set and a line
// saying what the data set is.
func benchPortal(b *testing.B) (*portal, string) {
	ctx := context.Background()
	if url := os.Getenv("PORTICO_BENCH_DATABASE_URL"); url != "" {
		db, counter := pgtest.CountingDB(b, url)
		// The code measured may bring indexes the database was generated
		// without: apply them, as `portico serve` would at start-up.
		ran, err := store.Migrate(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range ran {
			b.Logf("applied %s (%s)", m.Name, m.Duration)
		}
		res, err := dataset.Lookup(ctx, db)
		if err != nil {
			b.Fatal(err)
		}
		return newPortal(b, db, counter, res), "the database of PORTICO_BENCH_DATABASE_URL (filled by `portico dev generate`)"
	}
	scale := defaultBenchScale
	switch s := os.Getenv("PORTICO_BENCH_SCALE"); s {
	case "":
	case "full":
		scale = 1
	default:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f <= 0 || f > 1 {
			b.Fatalf("PORTICO_BENCH_SCALE=%q: want a factor in (0, 1] or \"full\"", s)
		}
		scale = f
	}
	spec := dataset.Scaled(scale)
	db, counter := pgtest.CountingDB(b, pgtest.URL(b))
	var progress io.Writer = io.Discard
	if testing.Verbose() {
		progress = os.Stderr
	}
	start := time.Now()
	res, err := dataset.Generate(ctx, db, spec, progress)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("data set at scale %g generated in %s", scale, time.Since(start).Round(time.Second))
	return newPortal(b, db, counter, res), describe(scale, spec)
}

func describe(scale float64, s dataset.Spec) string {
	return fmt.Sprintf("scale %g: %d partners, the big one with %d members in %d teams (largest %d), %d tokens (%d the big partner's), %d grants, %d audit events, %d calls",
		scale, s.Partners, s.BigMembers, s.BigTeams, s.BigTeam, s.Tokens, s.BigTokens, s.Grants, s.Events, s.Calls)
}

// benchName turns a route into a sub-benchmark name: /api/v1/teams/:id
// becomes api.v1.teams.:id, / becomes home.
func benchName(route string) string {
	if route == "/" {
		return "home"
	}
	return strings.ReplaceAll(strings.TrimPrefix(route, "/"), "/", ".")
}

// tableRow is one line of the table.
type tableRow struct {
	page, role string
	p50, p95   float64 // ms
	bytes      int
	queries    int64
}

func summarize(page, role string, samples []sample) tableRow {
	ms := make([]float64, len(samples))
	for i, s := range samples {
		ms[i] = float64(s.elapsed) / float64(time.Millisecond)
	}
	slices.Sort(ms)
	last := samples[len(samples)-1]
	return tableRow{page: page, role: role, p50: percentile(ms, 50), p95: percentile(ms, 95), bytes: last.bytes, queries: last.queries}
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p int) float64 {
	rank := (p*len(sorted) + 99) / 100
	return sorted[max(rank, 1)-1]
}

func markdownTable(about string, runs int, rows []tableRow) string {
	order := map[string]int{}
	for i, c := range cases() {
		order[c.page.name+"|"+c.role] = i
	}
	slices.SortStableFunc(rows, func(a, b tableRow) int { return order[a.page+"|"+a.role] - order[b.page+"|"+b.role] })
	var sb strings.Builder
	fmt.Fprintf(&sb, "Measured %s on %s.\nAt least %d requests per row after one warm-up, one at a time, signed in, over loopback; time to the last byte of the response.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), about, runs)
	sb.WriteString("| page | role | p50 ms | p95 ms | bytes | queries |\n|---|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Fprintf(&sb, "| `%s` | %s | %s | %s | %s | %d |\n", r.page, r.role, ms(r.p50), ms(r.p95), size(r.bytes), r.queries)
	}
	return sb.String()
}

func ms(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
