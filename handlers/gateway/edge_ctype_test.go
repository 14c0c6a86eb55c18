package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestUntypedUpstreamAnswer: an upstream answer without a Content-Type
// gets the one its body sniffs as, as net/http's server gives it, not a
// default of the listener's.
func TestUntypedUpstreamAnswer(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // sent without one
		_, _ = w.Write([]byte("<html><body>spreaders</body></html>"))
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	resp, _ := f.call(t, "GET", "/live/fleet/spreaders", live, nil)
	if got, want := resp.Header.Get("Content-Type"), "text/html; charset=utf-8"; resp.StatusCode != http.StatusOK || got != want {
		t.Errorf("%d, Content-Type %q, want %q", resp.StatusCode, got, want)
	}
}
