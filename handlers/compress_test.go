package handlers_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestPagesAreCompressed: a large page is gzipped for a browser that
// accepts it (and whole once decoded); a page showing a new secret never
// is, nor is any page for a client that does not accept gzip.
func TestPagesAreCompressed(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	b := signedInAs(t, p, "dev@harbor.test")
	raw := func(method, path, accept string, form url.Values) (*http.Response, []byte) {
		t.Helper()
		var body io.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		}
		req, _ := http.NewRequest(method, p.srv.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		// Set by hand, so the client hands the body over as sent.
		req.Header.Set("Accept-Encoding", accept)
		resp, err := b.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, data
	}
	resp, data := raw(http.MethodGet, "/apis/fleet", "gzip, deflate, br", nil)
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("docs page: Content-Encoding %q, Vary %q", resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	page, err := io.ReadAll(zr)
	if err != nil || !strings.HasSuffix(strings.TrimSpace(string(page)), "</html>") {
		t.Fatalf("decoded docs page: %v, %d bytes", err, len(page))
	}
	if len(data)*3 > len(page) {
		t.Errorf("docs page: %d bytes gzipped of %d", len(data), len(page))
	}
	if resp, _ := raw(http.MethodGet, "/apis/fleet", "identity", nil); resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("gzip sent to a client that did not accept it")
	}
	resp, data = raw(http.MethodPost, "/tokens", "gzip", url.Values{"name": {"compressed?"}, "environment": {"sandbox"},
		"days": {"30"}, "scope": {"fleet/fleet:read"}})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || !strings.Contains(string(data), "ptc_sbx_") {
		t.Errorf("created-token page = %d, Content-Encoding %q: a page with a secret must not be compressed",
			resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
}
