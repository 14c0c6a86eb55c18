package gateway_test

import (
	"net/http"
	"strings"
	"testing"
)

// A NUL character in a sandbox write (a jsonb column refuses "\u0000") or
// in a path parameter is refused as a bad request, never a 500.
func TestSandboxRefusesNUL(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tok := f.token(t, "dev@harbor.test", "sandbox", "maintenance/maintenance:read", "maintenance/maintenance:write", "fleet/fleet:read").Plaintext
	status, list, _ := f.do(t, "GET", "/sandbox/fleet/spreaders", tok, "")
	if status != 200 {
		t.Fatalf("list spreaders = %d %v", status, list)
	}
	first := list["items"].([]any)[0].(map[string]any)["id"].(string)
	for _, tc := range []struct{ method, path, body, field string }{
		{"POST", "/sandbox/maintenance/work-orders", `{"spreader_id":"` + first + `","title":"Twistlock\u0000check","type":"corrective","priority":"high"}`, "title"},
		{"GET", "/sandbox/fleet/spreaders/%00", "", ""},
		{"GET", "/sandbox/fleet/spreaders/%FF", "", ""},
		{"GET", "/sandbox/fleet/spreaders?status=%00", "", ""},
	} {
		status, out, _ := f.do(t, tc.method, tc.path, tok, tc.body)
		if status >= 500 || status == http.StatusOK || status == http.StatusCreated {
			t.Errorf("%s %s = %d %v, want a 4xx", tc.method, tc.path, status, out)
		}
		if msg, _ := out["error"].(map[string]any)["message"].(string); tc.field != "" && !strings.Contains(msg, tc.field) {
			t.Errorf("%s %s: message %q does not name %s", tc.method, tc.path, msg, tc.field)
		}
	}
}
