package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// hangingUp is an upstream that reads the whole body before it answers and
// drops the connection, without an answer, when the body is cut short (as
// a buffering proxy in front of an API does).
func hangingUp(t testing.TB) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			conn, _, herr := http.NewResponseController(w).Hijack()
			if herr == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(up.Close)
	return up
}

// TestRefusedBodyIsNotLogged: a live body refused while it is streamed is
// the caller's doing, answered 413, not the upstream's failure: anyone
// could fill the log with it.
func TestRefusedBodyIsNotLogged(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	const limit = 4 << 10
	f.setLimit(t, "uploads", limit)
	f.setUpstream(t, "uploads", hangingUp(t).URL)
	live := f.token(t, "dev@harbor.test", "live", "uploads/uploads:write").Plaintext
	for range 3 {
		status, e, err := f.send(t, "/live/uploads/files", live, "application/octet-stream", &chunked{n: 1 << 20}, -1)
		if err != nil {
			status = int(f.status.Load())
		}
		if status != 413 {
			t.Fatalf("status = %d %s, want 413", status, e.Error.Code)
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, "upstream failed") {
		t.Errorf("refused bodies logged as upstream failures:\n%s", logs)
	}
}

// TestLiveBodyIsStreamed: a live body with nothing to validate reaches the
// upstream while the caller is still sending it: the gateway holds none of
// it (a body up to the API's limit, per call, would otherwise sit in its
// memory).
func TestLiveBodyIsStreamed(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	got := make(chan struct{})
	var once sync.Once
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [1]byte
		if _, err := io.ReadFull(r.Body, b[:]); err == nil {
			once.Do(func() { close(got) })
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "uploads", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "uploads/uploads:write").Plaintext
	release := make(chan struct{})
	done := make(chan int, 1)
	go func() {
		status, _, _ := f.send(t, "/live/uploads/files", live, "application/octet-stream",
			&chunked{prefix: "first bytes", block: release, n: 10}, -1)
		done <- status
	}()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Error("the upstream got nothing of the body within 5 s while the caller was sending it")
	}
	close(release)
	if status := <-done; status != 201 {
		t.Errorf("status = %d, want 201", status)
	}
}
