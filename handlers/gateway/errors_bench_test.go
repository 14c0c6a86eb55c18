package gateway_test

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkChainRefused is the chain's error path: a valid sandbox token
// asking for a path no operation of the API matches, so the call is
// verified, matched, refused with the JSON error body (404) and audited.
func BenchmarkChainRefused(b *testing.B) {
	l := newLimited(b, 1<<30, nil)
	req := httptest.NewRequest("GET", "/sandbox/fleet/no-such-operation", nil)
	req.Header.Set("Authorization", "Bearer "+l.token(b, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext)
	req.RemoteAddr = "192.0.2.1:1234"
	benchRequest(b, l, req, 404)
}
