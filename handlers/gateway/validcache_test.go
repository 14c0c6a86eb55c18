package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// A call validated once is remembered (validCache), and what validation
// did to it is done again: the query's defaults added, each path
// parameter its own, an invalid query refused every time.
func TestValidationRemembered(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	for i, c := range []struct {
		query, upstream string
		status          int
	}{
		{"", "limit=50", 200},
		{"", "limit=50", 200}, // from the cache: the default is added again
		{"limit=7", "limit=7", 200},
		{"limit=7", "limit=7", 200},
		{"limit=500", "", 400},
		{"limit=500", "", 400},
		{"", "limit=50", 200},
	} {
		path := "/live/fleet/spreaders"
		if c.query != "" {
			path += "?" + c.query
		}
		resp, e := f.call(t, "GET", path, live, nil)
		if resp.StatusCode != c.status {
			t.Fatalf("call %d (%s) = %d %s, want %d", i, path, resp.StatusCode, e.Error.Message, c.status)
		}
		if c.status != 200 {
			if !strings.Contains(e.Error.Message, `"limit"`) {
				t.Errorf("call %d: message %q does not name limit", i, e.Error.Message)
			}
			continue
		}
		if got := up.seen().URL.RawQuery; got != c.upstream {
			t.Errorf("call %d (%s): upstream saw query %q, want %q", i, path, got, c.upstream)
		}
	}

	sbx := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	status, list, _ := f.do(t, "GET", "/sandbox/fleet/spreaders", sbx, "")
	items, _ := list["items"].([]any)
	if status != http.StatusOK || len(items) < 2 {
		t.Fatalf("list = %d %v", status, list)
	}
	for round := range 2 {
		for _, it := range items[:2] {
			id := it.(map[string]any)["id"].(string)
			status, got, _ := f.do(t, "GET", "/sandbox/fleet/spreaders/"+id, sbx, "")
			if status != http.StatusOK || got["id"] != id {
				t.Errorf("round %d: spreader %s = %d %v", round, id, status, got["id"])
			}
		}
	}
}
