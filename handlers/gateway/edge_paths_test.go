package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/token"
)

// TestEdgeServesOnlyTheMachineSurface: the edge answers a path outside
// /sandbox/, /live/, /auth/verify and OAuth's with the gateway's JSON 404
// and records nothing (a scanner's /wp-login.php takes no room in the
// audit queue), and answers /healthz as the portal does.
func TestEdgeServesOnlyTheMachineSurface(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	log := slog.New(slog.DiscardHandler)
	w := calls.NewWriter(f.st, nil, calls.WriterConfig{}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	gw := gateway.New(gateway.Deps{Store: f.st, Catalog: f.cat, Verifier: credential.NewVerifier(f.st, token.NewHasher(secret)),
		Sandbox: realSandbox{sandbox.New(f.st)}, Recorder: w, Log: log})
	edge := gateway.NewEdge(gw, gateway.EdgeConfig{Version: "v1.2.3"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = edge.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	for _, p := range []string{"/", "/wp-login.php", "/sandboxes", "/healthz/x", "/auth/verifyx"} {
		resp, b := get(p)
		var e errorBody
		if err := json.Unmarshal(b, &e); err != nil || resp.StatusCode != http.StatusNotFound || e.Error.Code != "not_found" ||
			e.Error.RequestID == "" || e.Error.RequestID != resp.Header.Get("X-Request-Id") {
			t.Errorf("GET %s = %d %q, want the gateway's JSON 404 with its request id", p, resp.StatusCode, b)
		}
	}
	resp, b := get("/healthz")
	var health map[string]string
	_ = json.Unmarshal(b, &health)
	if diff := cmp.Diff(map[string]string{"status": "ok", "version": "v1.2.3"}, health); resp.StatusCode != http.StatusOK || diff != "" {
		t.Errorf("GET /healthz = %d, body (-want +got):\n%s", resp.StatusCode, diff)
	}
	// A call of the machine surface is still recorded, so the count
	// below cannot pass for a writer that recorded nothing.
	if resp, _ := get("/sandbox/fleet/spreaders"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /sandbox/fleet/spreaders without a token = %d, want 401", resp.StatusCode)
	}
	if err := edge.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var paths []string
	if err := f.st.DB().Select(&paths, `SELECT path FROM api_calls ORDER BY path`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/sandbox/fleet/spreaders"}, paths); diff != "" {
		t.Errorf("audit rows (-want +got):\n%s", diff)
	}
}
