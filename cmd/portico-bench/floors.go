package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// servers are the processes of the throughput rounds besides the upstream.
type servers struct {
	procs []*proc
}

func (s *servers) stop() {
	for _, p := range s.procs {
		_ = p.stop(10 * time.Second)
	}
}

// startRole runs this binary as one of the bare servers on a free port and
// waits until probe answers 200 there.
func startRole(ctx context.Context, ps *procs, role string, args []string, probe string) (*proc, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	p, err := ps.start(role, self, append([]string{"serve", role, "-addr", addr}, args...), nil)
	if err != nil {
		return nil, "", err
	}
	return p, "http://" + addr, p.waitHTTP(ctx, "http://"+addr+probe, 200, 10*time.Second)
}

// throughput starts every target, measures them in alternating rounds,
// then stops Portico gracefully and compares the calls it answered with
// the rows its audit trail gained.
func throughput(ctx context.Context, cfg config, pt *portico, work, upstreamAddr string, r *report) error {
	var srv servers
	defer srv.stop()
	const path = "/spreaders"
	nginxProc, nginx, err := startNGINX(ctx, pt.ps, work, upstreamAddr, path)
	if err != nil {
		return err
	}
	srv.procs = append(srv.procs, nginxProc)
	nethttp, nethttpURL, err := startRole(ctx, pt.ps, "nethttp", []string{"-upstream", upstreamAddr}, path)
	if err != nil {
		return err
	}
	srv.procs = append(srv.procs, nethttp)
	fast, fastURL, err := startRole(ctx, pt.ps, "fasthttp", []string{"-upstream", upstreamAddr}, path)
	if err != nil {
		return err
	}
	srv.procs = append(srv.procs, fast)

	dev, err := pt.startNode(ctx, "portico-dev", "dev")
	if err != nil {
		return err
	}
	acc, err := pt.prepare(ctx, "http://"+upstreamAddr)
	if err != nil {
		return err
	}
	time.Sleep(time.Second) // the nodes' caches follow the change notifications
	r.Edge = dev.edge
	before, err := pt.auditRows(ctx)
	if err != nil {
		return err
	}
	var answered, refused int64
	bearer := func(tok string) []string { return []string{"Authorization: Bearer " + tok} }

	// The bare echo handler serves the bytes the sandbox answers.
	body, contentType, err := get(ctx, dev.portal+"/sandbox/fleet/spreaders", bearer(acc.sandbox))
	if err != nil {
		return fmt.Errorf("the sandbox's answer: %w", err)
	}
	answered++
	bodyFile := filepath.Join(work, "sandbox-body")
	if err := os.WriteFile(bodyFile, body, 0o600); err != nil {
		return err
	}
	echoProc, echoURL, err := startRole(ctx, pt.ps, "echo", []string{"-body", bodyFile, "-content-type", contentType}, "/fleet/spreaders")
	if err != nil {
		return err
	}
	srv.procs = append(srv.procs, echoProc)

	upBody, _, err := get(ctx, "http://"+upstreamAddr+path, nil)
	if err != nil {
		return err
	}
	live := "the gateway with a live PAT (scope, limits, audit) proxying to the upstream, on the portal's listener"
	sbx := fmt.Sprintf("the sandbox's GET /fleet/spreaders with a sandbox PAT (%d bytes, %s)", len(body), contentType)
	r.Targets = []target{
		{Name: tDirect, What: fmt.Sprintf("scripts/bench/upstream: net/http answering a %d-byte JSON document", len(upBody)), URL: "http://" + upstreamAddr + path},
		{Name: tNGINX, What: "Debian's NGINX, `proxy_pass` with upstream keep-alive, a worker per core", URL: nginx + path},
		{Name: tNetHTTP, What: "`httputil.ReverseProxy` on `net/http` (128 idle connections per host), nothing else", URL: nethttpURL + path},
		{Name: tFastHTTP, What: "fasthttp's server handing each request to a `HostClient`, nothing else", URL: fastURL + path},
		{Name: tLive, What: live, URL: dev.portal + "/live/fleet" + path, Headers: bearer(acc.live), Audited: true},
	}
	if dev.edge {
		r.Targets = append(r.Targets, target{Name: tLiveEdge, What: "the same on PORTICO_GATEWAY_ADDR", URL: dev.gateway + "/live/fleet" + path, Headers: bearer(acc.live), Audited: true})
	}
	r.Targets = append(r.Targets,
		target{Name: tEcho, What: "labstack/echo with no middleware answering the sandbox's bytes", URL: echoURL + "/fleet/spreaders"},
		target{Name: tSandbox, What: sbx, URL: dev.portal + "/sandbox/fleet/spreaders", Headers: bearer(acc.sandbox), Audited: true})
	if dev.edge {
		r.Targets = append(r.Targets, target{Name: tSandboxEdge, What: "the same on PORTICO_GATEWAY_ADDR", URL: dev.gateway + "/sandbox/fleet/spreaders", Headers: bearer(acc.sandbox), Audited: true})
	}

	runs := 0 // wrk runs against audited targets
	run := func(t *target, d time.Duration) (wrkResult, error) {
		res, err := runWrk(ctx, wrkRun{URL: t.URL, Threads: cfg.Threads, Connections: cfg.Connections, Duration: d, Headers: t.Headers})
		if err == nil && t.Audited {
			answered += res.Requests
			refused += res.Non2xx
			runs++
		}
		return res, err
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		if _, _, err := get(ctx, t.URL, t.Headers); err != nil {
			t.Skipped = err.Error()
			continue
		}
		if t.Audited {
			answered++
		}
		fmt.Fprintf(os.Stderr, "bench: warming up %s\n", t.Name)
		if _, err := run(t, cfg.Warmup); err != nil {
			return err
		}
	}
	for round := 1; round <= cfg.Rounds; round++ {
		for i := range r.Targets {
			t := &r.Targets[i]
			if t.Skipped != "" {
				continue
			}
			fmt.Fprintf(os.Stderr, "bench: round %d of %d: %s\n", round, cfg.Rounds, t.Name)
			res, err := run(t, cfg.Duration)
			if err != nil {
				return err
			}
			t.Rounds = append(t.Rounds, res)
		}
	}
	// A graceful stop flushes the audit queue before the process exits.
	if err := dev.p.stop(time.Minute); err != nil {
		return err
	}
	after, err := pt.auditRows(ctx)
	if err != nil {
		return err
	}
	r.Audit = &auditCount{Answered: answered, Refused: refused, Rows: after - before, InFlight: int64(runs * cfg.Connections)}
	return nil
}

// get fetches url with headers ("Name: value") and wants a 200.
func get(ctx context.Context, url string, headers []string) (body []byte, contentType string, err error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s answered %d", url, resp.StatusCode)
	}
	return body, resp.Header.Get("Content-Type"), nil
}
