package gateway_test

import (
	"net/http"
	"testing"
)

// TestPathMatchedAsWritten: the operation is matched, validated and sent
// upstream with the same path: decoded once (so a "%25" stays a "%" in
// the parameter the document's pattern checks), and without a trailing
// slash the document does not have, which the upstream may serve as
// another resource than the one whose scope was checked.
func TestPathMatchedAsWritten(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	for _, tc := range []struct {
		name, path string
		status     int
		code       string
		upstream   string // the path the upstream saw; "" for none
	}{
		{"as documented", "/live/fleet/spreaders/SPR-0042", http.StatusOK, "", "/spreaders/SPR-0042"},
		{"percent-encoded once", "/live/fleet/spreaders/SPR%2D0042", http.StatusOK, "", "/spreaders/SPR-0042"},
		{"percent-encoded twice", "/live/fleet/spreaders/SPR%252D0042", http.StatusBadRequest, "invalid_request", ""},
		{"trailing slash", "/live/fleet/spreaders/SPR-0042/", http.StatusNotFound, "not_found", ""},
		{"empty segment", "/live/fleet/spreaders//status", http.StatusNotFound, "not_found", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up.mu.Lock()
			up.last = nil
			up.mu.Unlock()
			resp, e := f.call(t, "GET", tc.path, live, nil)
			if resp.StatusCode != tc.status || e.Error.Code != tc.code {
				t.Fatalf("status %d %q, want %d %q (%s)", resp.StatusCode, e.Error.Code, tc.status, tc.code, e.Error.Message)
			}
			got := ""
			if r := up.seen(); r != nil {
				got = r.URL.Path
			}
			if got != tc.upstream {
				t.Errorf("upstream saw %q, want %q", got, tc.upstream)
			}
		})
	}
}
