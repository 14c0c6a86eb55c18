package gateway_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/token"
)

// countingRecorder counts admissions and recorded calls.
type countingRecorder struct {
	mu               sync.Mutex
	admitted, record int
}

func (r *countingRecorder) Admit() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.admitted++
	return true
}

func (r *countingRecorder) RecordAdmitted(calls.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.record++
}

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
	rec := &countingRecorder{}
	gw := gateway.New(gateway.Deps{Store: f.st, Catalog: f.cat, Verifier: credential.NewVerifier(f.st, token.NewHasher(secret)),
		Sandbox: aborting{}, Recorder: rec, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(gw)
	defer srv.Close()
	sbx := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	req, _ := http.NewRequest("GET", srv.URL+"/sandbox/fleet/spreaders", nil)
	req.Header.Set("Authorization", "Bearer "+sbx)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	srv.Close() // waits for the handler
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.admitted != 1 || rec.record != 1 {
		t.Errorf("admitted %d, recorded %d: want 1 and 1", rec.admitted, rec.record)
	}
}
