package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/token"
)

// aborting is a backend whose response is cut off mid-stream, as
// httputil.ReverseProxy does (panic(http.ErrAbortHandler)) when an
// upstream's body fails or the caller goes away while it is copied.
type aborting struct{}

func (aborting) Serve(w http.ResponseWriter, _ *http.Request, _ gateway.SandboxRequest) {
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte("partial"))
	panic(http.ErrAbortHandler)
}

// An aborted call is still recorded: otherwise its admission is never
// given back, and enough of them fill the audit queue for good (503 to
// every call) and make shutdown wait for calls that never come.
func TestAbortedCallIsRecorded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv, stopWriter := f.recordingGateway(t, aborting{})
	sbx := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	req, _ := http.NewRequest("GET", srv.URL+"/sandbox/fleet/spreaders", nil)
	req.Header.Set("Authorization", "Bearer "+sbx)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	// Shutdown waits for every admitted call: it returns only because the
	// aborted one was recorded, and its row is there.
	stopWriter()
	var rows int
	if err := f.st.DB().Get(&rows, `SELECT count(*) FROM api_calls WHERE status = 200 AND operation = 'listSpreaders'`); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("audit rows of the aborted call: %d, want 1", rows)
	}
}

// recordingGateway serves a gateway over sb whose calls go through the real
// audit writer. stop closes the server (waiting for its handlers), then
// stops the writer, which returns once every admitted call is written.
func (f *fixture) recordingGateway(t *testing.T, sb gateway.Sandbox) (srv *httptest.Server, stop func()) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	w := calls.NewWriter(f.st, nil, calls.WriterConfig{}, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	gw := gateway.New(gateway.Deps{Store: f.st, Catalog: f.cat, Verifier: credential.NewVerifier(f.st, token.NewHasher(secret)),
		Sandbox: sb, Recorder: w, Log: log})
	srv = serveGateway(t, gw)
	stopped := false
	stop = func() {
		t.Helper()
		if stopped {
			return
		}
		stopped = true
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("writer shutdown: %v", err)
		}
	}
	t.Cleanup(stop)
	return srv, stop
}
