package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func (f *fixture) do(t *testing.T, method, path, tok, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, resp.Header
}

// Partners see their own sandbox only: B's token on A's work order is a
// 404, and each partner's spreaders are its own.
func TestSandboxIsolation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.token(t, "dev@harbor.test", "sandbox", "maintenance/maintenance:read", "maintenance/maintenance:write", "fleet/fleet:read").Plaintext
	b := f.token(t, "dev@crane.test", "sandbox", "fleet/fleet:read").Plaintext

	status, list, _ := f.do(t, "GET", "/sandbox/fleet/spreaders", a, "")
	if status != 200 {
		t.Fatalf("list spreaders = %d %v", status, list)
	}
	items, _ := list["items"].([]any)
	if len(items) == 0 {
		t.Fatal("no spreaders")
	}
	first := items[0].(map[string]any)["id"].(string)
	if status, _, _ := f.do(t, "GET", "/sandbox/fleet/spreaders/"+first, a, ""); status != 200 {
		t.Errorf("own spreader = %d", status)
	}
	if status, _, _ := f.do(t, "GET", "/sandbox/fleet/spreaders/"+first, b, ""); status != 404 {
		t.Errorf("another partner's spreader = %d, want 404", status)
	}

	body := `{"spreader_id":"` + first + `","title":"Twistlock sensor check","type":"corrective","priority":"high"}`
	status, wo, hdr := f.do(t, "POST", "/sandbox/maintenance/work-orders", a, body)
	if status != 201 {
		t.Fatalf("create work order = %d %v", status, wo)
	}
	id, _ := wo["id"].(string)
	if !strings.HasPrefix(hdr.Get("Location"), "/sandbox/maintenance/work-orders/") {
		t.Errorf("Location = %q", hdr.Get("Location"))
	}
	if status, _, _ := f.do(t, "GET", "/sandbox/maintenance/work-orders/"+id, a, ""); status != 200 {
		t.Errorf("own work order = %d", status)
	}
	// Crane Works is not granted Maintenance at all: the API itself is
	// not found for it, and its Fleet token cannot name Harbor's order.
	if status, _, _ := f.do(t, "GET", "/sandbox/maintenance/work-orders/"+id, b, ""); status != 404 {
		t.Errorf("another partner on the work order = %d, want 404", status)
	}
	// An invalid body is refused by the gateway, naming the field.
	status, e, _ := f.do(t, "POST", "/sandbox/maintenance/work-orders", a, `{"spreader_id":"`+first+`","title":"Check the twistlocks","type":"corrective","priority":"urgent!"}`)
	msg, _ := e["error"].(map[string]any)["message"].(string)
	if status != 400 || !strings.Contains(msg, "priority") {
		t.Errorf("invalid body = %d %q, want 400 naming priority", status, msg)
	}
}
