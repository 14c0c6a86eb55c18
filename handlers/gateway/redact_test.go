package gateway_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// A credential pasted into the URL is refused, and it is stored nowhere:
// not in the call's audit row (path, API slug, request id) and not in the
// error message.
func TestTokenInPathIsNotStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv, stopWriter := f.recordingGateway(t, realSandbox{})
	auth := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	leaked := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	body := leaked[8:] // what must appear nowhere
	tripled := strings.ReplaceAll(leaked[:4], "p", "%252570")
	for _, path := range []string{
		"/sandbox/fleet/spreaders/" + leaked,
		"/sandbox/fleet/" + leaked + "/spreaders",
		"/sandbox/" + leaked + "/spreaders",
		"/sandbox/fleet/spreaders/%70tc_" + leaked[4:],
		"/sandbox/fleet/spreaders/" + tripled + leaked[4:],
	} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+auth)
		req.Header.Set("X-Request-Id", leaked)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s = %d %s, want 400", path, resp.StatusCode, b)
		}
		if strings.Contains(string(b), body) || strings.Contains(resp.Header.Get("X-Request-Id"), body) {
			t.Errorf("GET %s: the response echoes the token: %s", path, b)
		}
	}
	stopWriter()
	var rows []struct {
		API       string `db:"api"`
		Path      string `db:"path"`
		RequestID string `db:"request_id"`
	}
	if err := f.st.DB().Select(&rows, `SELECT api, path, request_id FROM api_calls ORDER BY at`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Errorf("audit rows: %d, want 5", len(rows))
	}
	for _, r := range rows {
		if strings.Contains(r.API+r.Path+r.RequestID, body) {
			t.Errorf("api_calls row holds the token: %+v", r)
		}
		if !strings.Contains(r.API+r.Path, "ptc_sbx_[redacted]") {
			t.Errorf("api_calls row does not show where the token was: %+v", r)
		}
	}
}
