package gateway_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

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
