package gateway_test

import (
	"bufio"
	"net"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
)

// TestEdgeHeaders: through the shipped server and the portal it is
// mounted in (no trusted proxies), as raw bytes can put them — names in
// any case, repeated — the upstream learns the client's address from the
// connection only, the identity from the gateway only, and none of the
// caller's hop-by-hop headers; the caller's Connection: close is honoured.
// (TestLiveProxyClientHeaders has the full list of address headers.)
func TestEdgeHeaders(t *testing.T) {
	t.Parallel()
	e := newEdge(t, handlers.ServerTimeouts{})
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := rawReq{e: e, mark: "headers"}
	if _, err := conn.Write([]byte(r.head("x-forwarded-for: 6.6.6.6", "X-Forwarded-For: 7.7.7.7", "x-real-ip: 6.6.6.6",
		"Forwarded: for=6.6.6.6", "x-portico-partner: 999", "X-PORTICO-TOKEN-ID: 999",
		"Connection: close, X-Hop", "X-Hop: secret", "Keep-Alive: timeout=600", "Proxy-Connection: keep-alive",
		"Content-Length: 0"))); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	if status, _, closed := readAnswer(t, conn, br); closed || status != 201 {
		t.Fatalf("answer: closed %v, status %d; want 201", closed, status)
	}
	if _, _, closed := readAnswer(t, conn, br); !closed {
		t.Error("the connection stayed open after the caller's Connection: close")
	}
	seen := e.up.seen("headers")
	if len(seen) != 1 {
		t.Fatalf("the upstream received %d requests, want 1", len(seen))
	}
	h := seen[0].header
	got := http.Header{}
	for _, k := range []string{"X-Forwarded-For", "X-Real-Ip", "Forwarded", "Connection", "X-Hop", "Keep-Alive", "Proxy-Connection", "Authorization"} {
		if v, ok := h[k]; ok {
			got[k] = v
		}
	}
	want := http.Header{"X-Forwarded-For": {"127.0.0.1"}, "X-Real-Ip": {"127.0.0.1"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("headers the upstream received (-want +got):\n%s", d)
	}
	if p, id := h.Get("X-Portico-Partner"), h.Get("X-Portico-Token-Id"); p == "" || p == "999" || id == "" || id == "999" || len(h["X-Portico-Partner"]) != 1 {
		t.Errorf("identity the upstream received: partner %q, token %q; want the gateway's, once", h["X-Portico-Partner"], id)
	}
}
