package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// /auth/verify is the gateway's, mounted as /live and /sandbox are: a
// proxy's cross-site POST (Envoy forwards the original method) reaches
// the chain, not the portal's CSRF check or session, and a path that only
// begins like it is the portal's.
func TestVerifyIsOnTheMachineSurface(t *testing.T) {
	t.Parallel()
	app, _ := newApp(t, nil)
	for _, tc := range []struct {
		method, path string
		hdr          map[string]string
	}{
		{"POST", "/auth/verify/live/maintenance/work-orders", nil},
		{"GET", "/auth/verify", map[string]string{"X-Original-Method": "GET", "X-Original-URI": "/live/fleet/spreaders"}},
	} {
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("Authorization", "Bearer ptc_live_not-a-token")
		req.Header.Set("Origin", "https://elsewhere.test")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		app.ServeHTTP(rec, req)
		var e jsonError
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		if rec.Code != http.StatusUnauthorized || e.Error.Code != "invalid_token" || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s = %d %s, want the gateway's 401 invalid_token", tc.method, tc.path, rec.Code, rec.Body)
		}
		if c := rec.Header().Get("Set-Cookie"); c != "" {
			t.Errorf("%s %s sets a cookie %q", tc.method, tc.path, c)
		}
	}
	rec := get(t, app, "/auth/verifyx", map[string]string{"Accept": "text/html"})
	if rec.Code != http.StatusNotFound || rec.Header().Get("WWW-Authenticate") != "" {
		t.Errorf("/auth/verifyx = %d, want the portal's 404", rec.Code)
	}
}
