package gateway_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestTwoCredentials: a call carrying two tokens (two Authorization
// headers, or two credentials in one) is refused on both environments,
// whichever token comes first; it was served as the first one's holder.
func TestTwoCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	up := newUpstream(t)
	f.setUpstream(t, "fleet", up.URL)
	for _, env := range []string{"sandbox", "live"} {
		crane := f.token(t, "dev@crane.test", env, "fleet/fleet:read").Plaintext
		harbor := f.token(t, "dev@harbor.test", env, "fleet/fleet:read").Plaintext
		for _, tc := range []struct {
			name    string
			headers []string
		}{
			{"two headers", []string{"Bearer " + crane, "Bearer " + harbor}},
			{"the same token twice", []string{"Bearer " + crane, "Bearer " + crane}},
			{"one empty, one token", []string{"", "Bearer " + crane}},
			{"two credentials in one header", []string{"Bearer " + crane + ", Bearer " + harbor}},
			{"two tokens after one scheme", []string{"Bearer " + crane + " " + harbor}},
		} {
			t.Run(env+"/"+tc.name, func(t *testing.T) {
				req, _ := http.NewRequest("GET", f.srv.URL+"/"+env+"/fleet/spreaders", nil)
				req.Header["Authorization"] = tc.headers
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				var e errorBody
				_ = json.Unmarshal(raw, &e)
				if resp.StatusCode != http.StatusBadRequest || e.Error.Code != "invalid_request" {
					t.Errorf("= %d %s, want 400 invalid_request", resp.StatusCode, raw)
				}
				if strings.Contains(string(raw), crane) || strings.Contains(string(raw), harbor) {
					t.Error("the response repeats a token")
				}
			})
		}
		if resp, _ := f.call(t, "GET", "/"+env+"/fleet/spreaders", crane, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: one token = %d", env, resp.StatusCode)
		}
	}
}
