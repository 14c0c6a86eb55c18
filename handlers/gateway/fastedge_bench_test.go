package gateway_test

import (
	"context"
	"net"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/portico/portico/handlers/gateway"
)

// fastUpstream serves trivialBody on a loopback address with fasthttp, so
// the benchmarks below measure the proxy in front of it rather than it.
func fastUpstream(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		c.SetContentType("application/json")
		c.SetBody(trivialBody)
	}}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })
	return ln.Addr().String()
}

// fastLoop calls url with a keep-alive fasthttp client from parallel
// goroutines, so the client costs little beside what it calls.
func fastLoop(b *testing.B, addr, path, tok string) {
	hc := &fasthttp.HostClient{Addr: addr, MaxConns: 256}
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		for pb.Next() {
			req.Reset()
			req.SetRequestURI("http://" + addr + path)
			if tok != "" {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			if err := hc.Do(req, resp); err != nil {
				b.Error(err)
				return
			}
			if resp.StatusCode() != 200 {
				b.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
				return
			}
		}
	})
}

// BenchmarkEdgeLive is /live through the gateway's edge, with a PAT,
// scope, limits and audit, in front of a fasthttp upstream; allocs/op
// include the client's and the upstream's (none to speak of).
func BenchmarkEdgeLive(b *testing.B) {
	up := fastUpstream(b)
	l := newLimited(b, 1<<30, nil)
	l.setUpstream(b, "fleet", "http://"+up)
	tok := l.token(b, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	edge := gateway.NewEdge(l.gw, gateway.EdgeConfig{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = edge.Serve(ln) }()
	b.Cleanup(func() { _ = edge.Shutdown(context.Background()) })
	fastLoop(b, ln.Addr().String(), "/live/fleet/spreaders", tok)
}

// BenchmarkEdgeBareProxy is the floor BenchmarkEdgeLive is compared
// with: a fasthttp server and HostClient, nothing else.
func BenchmarkEdgeBareProxy(b *testing.B) {
	up := fastUpstream(b)
	hc := &fasthttp.HostClient{Addr: up}
	srv := &fasthttp.Server{Handler: func(c *fasthttp.RequestCtx) {
		c.Request.SetHost(up)
		if err := hc.Do(&c.Request, &c.Response); err != nil {
			c.Error(err.Error(), fasthttp.StatusBadGateway)
		}
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown() })
	fastLoop(b, ln.Addr().String(), "/spreaders", "")
}
