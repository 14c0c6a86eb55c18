package gateway_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/valyala/fasthttp"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/token"
)

// TestEdgeWrk measures, with wrk in alternating rounds of one run, /live
// and /sandbox through the gateway on net/http and on the edge beside a
// bare httputil proxy, a bare fasthttp proxy and a bare echo handler
// serving the sandbox's bytes: the ratios the edge is adopted on. It runs
// only when PORTICO_EDGE_WRK is set (e.g. to "5s", the length of a round).
func TestEdgeWrk(t *testing.T) {
	round := os.Getenv("PORTICO_EDGE_WRK")
	if round == "" {
		t.Skip("set PORTICO_EDGE_WRK=5s to measure the edge with wrk")
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		t.Skip("wrk is not installed")
	}
	debug.SetGCPercent(400) // as portico serve
	body := []byte(`{"items":[{"id":"SPR-0042","name":"STS-07 twin-lift"}],"next_cursor":null}` + "\n")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer up.Close()

	l := newLimited(t, 1<<30, nil)
	l.setUpstream(t, "fleet", up.URL)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	sbx := l.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	log := slog.New(slog.DiscardHandler)
	w := calls.NewWriter(l.st, l.st.DB(), calls.WriterConfig{}, log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	gw := gateway.New(gateway.Deps{Store: l.st, Catalog: catalog.NewService(l.st), Verifier: credential.NewVerifier(l.st, token.NewHasher(secret)),
		Sandbox: realSandbox{sandbox.New(l.st)}, Limiter: ratelimit.NewMemory(), Quota: ratelimit.NewMemoryQuota(), Recorder: w, Log: log})
	nethttp := httptest.NewServer(gw)
	defer nethttp.Close()
	edge := gateway.NewEdge(gw, gateway.EdgeConfig{})
	edgeLn := listenLoopback(t)
	go func() { _ = edge.Serve(edgeLn) }()
	defer func() { _ = edge.Shutdown(context.Background()) }()

	target, _ := url.Parse(up.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 128}
	bareNet := httptest.NewServer(rp)
	defer bareNet.Close()
	hc := &fasthttp.HostClient{Addr: target.Host}
	bareFast := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		c.Request.SetHost(target.Host)
		if err := hc.Do(&c.Request, &c.Response); err != nil {
			c.Error(err.Error(), fasthttp.StatusBadGateway)
		}
	}}
	fastLn := listenLoopback(t)
	go func() { _ = bareFast.Serve(fastLn) }()
	defer func() { _ = bareFast.Shutdown() }()

	// The sandbox's own bytes, served by a bare echo handler.
	req, _ := http.NewRequest("GET", nethttp.URL+"/sandbox/fleet/spreaders", nil)
	req.Header.Set("Authorization", "Bearer "+sbx)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sandbox: %d %s", resp.StatusCode, sb)
	}
	e := echo.New()
	ctype := resp.Header.Get("Content-Type")
	e.GET("/*", func(c echo.Context) error { return c.Blob(200, ctype, sb) })
	bareEcho := httptest.NewServer(e)
	defer bareEcho.Close()

	edgeURL := "http://" + edgeLn.Addr().String()
	runs := []struct{ name, url, tok string }{
		{"direct", up.URL + "/spreaders", ""},
		{"bare httputil", bareNet.URL + "/spreaders", ""},
		{"bare fasthttp", "http://" + fastLn.Addr().String() + "/spreaders", ""},
		{"live net/http", nethttp.URL + "/live/fleet/spreaders", live},
		{"live edge", edgeURL + "/live/fleet/spreaders", live},
		{"bare echo", bareEcho.URL + "/sandbox/fleet/spreaders", ""},
		{"sandbox net/http", nethttp.URL + "/sandbox/fleet/spreaders", sbx},
		{"sandbox edge", edgeURL + "/sandbox/fleet/spreaders", sbx},
	}
	if prof := os.Getenv("PORTICO_EDGE_WRK_PROFILE"); prof != "" {
		// Only the runs named by PORTICO_EDGE_WRK_ONLY, profiled.
		f, err := os.Create(prof)
		if err != nil {
			t.Fatal(err)
		}
		only := os.Getenv("PORTICO_EDGE_WRK_ONLY")
		for _, r := range runs {
			if strings.Contains(only, r.name) {
				wrk(t, "1s", r.url, r.tok)
			}
		}
		_ = pprof.StartCPUProfile(f)
		for _, r := range runs {
			if strings.Contains(only, r.name) {
				rps, _, _, _ := wrk(t, round, r.url, r.tok)
				t.Logf("%s: %.0f req/s", r.name, rps)
			}
		}
		pprof.StopCPUProfile()
		f.Close()
		return
	}
	type result struct{ rps, p50, p99, cpu float64 }
	results := map[string][]result{}
	for _, r := range runs { // warm-up
		wrk(t, "1s", r.url, r.tok)
	}
	rounds := 2
	if n, err := strconv.Atoi(os.Getenv("PORTICO_EDGE_WRK_ROUNDS")); err == nil && n > 0 {
		rounds = n
	}
	for i := 0; i < rounds; i++ {
		for _, r := range runs {
			before := cpuTime()
			rps, p50, p99, n := wrk(t, round, r.url, r.tok)
			cpu := float64((cpuTime() - before).Microseconds()) / n
			results[r.name] = append(results[r.name], result{rps, p50, p99, cpu})
		}
	}
	med := func(name string, f func(result) float64) float64 {
		var v []float64
		for _, r := range results[name] {
			v = append(v, f(r))
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	rps := func(n string) float64 { return med(n, func(r result) float64 { return r.rps }) }
	var b strings.Builder
	cpu := func(n string) float64 { return med(n, func(r result) float64 { return r.cpu }) }
	fmt.Fprintf(&b, "\n%-18s %10s %9s %9s %12s\n", "", "req/s", "p50 ms", "p99 ms", "CPU µs/call")
	for _, r := range runs {
		fmt.Fprintf(&b, "%-18s %10.0f %9.2f %9.2f %12.1f\n", r.name, rps(r.name), med(r.name, func(r result) float64 { return r.p50 }), med(r.name, func(r result) float64 { return r.p99 }), cpu(r.name))
	}
	fmt.Fprintf(&b, "(CPU: this process's, upstream included, per call answered: steadier than req/s on a shared machine)\n")
	fmt.Fprintf(&b, "CPU per call, bare fasthttp / live edge   %.2fx (the throughput ratio on a quiet machine, roughly)\n", cpu("bare fasthttp")/cpu("live edge"))
	fmt.Fprintf(&b, "CPU per call, bare httputil / live edge   %.2fx\n", cpu("bare httputil")/cpu("live edge"))
	fmt.Fprintf(&b, "CPU per call, bare httputil / live net/http %.2fx\n", cpu("bare httputil")/cpu("live net/http"))
	fmt.Fprintf(&b, "CPU per call, bare echo / sandbox edge    %.2fx\n", cpu("bare echo")/cpu("sandbox edge"))
	fmt.Fprintf(&b, "live edge / bare fasthttp    %.2fx (aim >= 0.80)\n", rps("live edge")/rps("bare fasthttp"))
	fmt.Fprintf(&b, "live edge / bare httputil    %.2fx (aim >= 1.60)\n", rps("live edge")/rps("bare httputil"))
	fmt.Fprintf(&b, "live net/http / bare httputil %.2fx\n", rps("live net/http")/rps("bare httputil"))
	fmt.Fprintf(&b, "live edge / live net/http    %.2fx\n", rps("live edge")/rps("live net/http"))
	fmt.Fprintf(&b, "sandbox edge / bare echo     %.2fx (aim >= 0.85)\n", rps("sandbox edge")/rps("bare echo"))
	fmt.Fprintf(&b, "sandbox net/http / bare echo %.2fx\n", rps("sandbox net/http")/rps("bare echo"))
	t.Log(b.String())
}

func listenLoopback(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

var (
	wrkRPS     = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkErrors  = regexp.MustCompile(`Socket errors: .*`)
	wrkTimeout = regexp.MustCompile(`timeout (\d+)`)
	wrkTotal   = regexp.MustCompile(`(\d+) requests in`)
)

// wrk runs wrk (2 threads, 50 connections) for d against u and returns
// its 2xx answers per second, p50 and p99 latencies in milliseconds and
// the number of answers.
func wrk(t *testing.T, d, u, tok string) (rps, p50, p99, n float64) {
	t.Helper()
	args := []string{"-t2", "-c50", "-d" + d, "--latency"}
	if tok != "" {
		args = append(args, "-H", "Authorization: Bearer "+tok)
	}
	out, err := exec.Command("wrk", append(args, u)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk %s: %v\n%s", u, err, out)
	}
	s := string(out)
	var bad float64
	if m := wrkNon2xx.FindStringSubmatch(s); m != nil {
		bad, _ = strconv.ParseFloat(m[1], 64)
		req, _ := http.NewRequest("GET", u, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		var got string
		if resp, err := http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got = resp.Status + " " + string(b)
		}
		// The audit queue full (503) is the machine's limit, not the
		// listener's: counted out of the rate, not failed.
		t.Logf("wrk %s: %s non-2xx answers; now: %s", u, m[1], got)
	}
	if m := wrkErrors.FindString(s); m != "" && wrkTimeout.FindStringSubmatch(m) != nil {
		t.Logf("wrk %s: %s", u, m)
	}
	m := wrkRPS.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("wrk %s: no rate in\n%s", u, s)
	}
	rps, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(s); m != nil {
		n, _ = strconv.ParseFloat(m[1], 64)
	}
	if n > 0 && bad > 0 {
		rps *= (n - bad) / n // 2xx answers only
	}
	for _, p := range wrkPct.FindAllStringSubmatch(s, -1) {
		v, _ := strconv.ParseFloat(p[2], 64)
		switch p[3] {
		case "us":
			v /= 1000
		case "s":
			v *= 1000
		}
		if p[1] == "50" {
			p50 = v
		} else {
			p99 = v
		}
	}
	return rps, p50, p99, n
}

// cpuTime is the CPU time this process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
