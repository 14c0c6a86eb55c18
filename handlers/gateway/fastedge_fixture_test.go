package gateway_test

import (
	"context"
	"net"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/handlers/gateway"
)

// edgeEnv names the listener the gateway tests serve the gateway from:
// unset, net/http (httptest's server); "fasthttp", the edge.
const edgeEnv = "PORTICO_TEST_EDGE"

// serveGateway serves gw on a loopback address for a test, from net/http's
// server or, when onFastEdge, the fasthttp edge. The server is an *httptest.Server either way:
// for the edge, Close shuts the edge down (waiting for its calls).
func serveGateway(t testing.TB, gw *gateway.Gateway) *httptest.Server {
	t.Helper()
	if !onFastEdge(t) {
		return httptest.NewServer(gw)
	}
	srv := httptest.NewUnstartedServer(gw)
	edge := gateway.NewEdge(gw, gateway.EdgeConfig{})
	ln := &edgeListener{Listener: srv.Listener, edge: edge}
	srv.Listener = ln
	srv.URL = "http://" + ln.Addr().String()
	go func() { _ = edge.Serve(ln) }()
	return srv
}

// edgeListener shuts the edge down when httptest's Close closes it.
type edgeListener struct {
	net.Listener
	edge *gateway.Edge
	once sync.Once
	in   sync.Once
}

func (l *edgeListener) Close() error {
	first := false
	l.once.Do(func() { first = true })
	if !first {
		// The edge's own Shutdown closing its listener.
		var err error
		l.in.Do(func() { err = l.Listener.Close() })
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := l.edge.Shutdown(ctx)
	l.in.Do(func() { _ = l.Listener.Close() })
	return err
}

// fastEdge serves gw from the fasthttp edge on ln with the timeouts the
// portal's server would have, for the raw edge cases (edge_*_test.go).
func fastEdge(t testing.TB, gw *gateway.Gateway, ln net.Listener, to handlers.ServerTimeouts, e *edge) *edge {
	ed := gateway.NewEdge(gw, gateway.EdgeConfig{HeaderTimeout: to.ReadHeader, ReadTimeout: to.Read, WriteTimeout: to.Write,
		IdleTimeout: to.Idle, MinBodyRate: to.MinBodyRate})
	go func() { _ = ed.Serve(ln) }()
	t.Cleanup(func() { _ = ed.Shutdown(context.Background()) })
	e.addr, e.maxHeader = ln.Addr().String(), 64<<10
	return e
}
