// Package apitest is the test helper that sends real requests to a handler
// and checks every exchange against an OpenAPI document. Every /api/v1
// endpoint's tests go through it.
package apitest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/portico/portico/internal/apispec"
	"github.com/portico/portico/openapi"
)

// Portal returns a checker for openapi/portal.yaml, failing the test if the
// document does not load.
func Portal(t testing.TB) *apispec.Checker {
	t.Helper()
	c, err := apispec.NewChecker(openapi.Portal)
	if err != nil {
		t.Fatalf("openapi/portal.yaml: %v", err)
	}
	return c
}

// Do serves req with h, checks the exchange against the document and returns
// the recorded response. A mismatch fails the test.
func Do(t testing.TB, c *apispec.Checker, h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	var reqBody []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			t.Fatalf("read request body: %v", err)
		}
		reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	check := req.Clone(req.Context())
	if err := c.Check(req.Context(), check, reqBody, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		t.Errorf("OpenAPI contract: %v", err)
	}
	return rec
}
