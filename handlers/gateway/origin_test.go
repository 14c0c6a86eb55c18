package gateway_test

import (
	"net/url"
	"testing"

	"github.com/portico/portico/handlers/gateway"
)

// TestOrigin: the portal's origin the edge's CORS compares a browser's
// Origin header with is written as browsers write it.
func TestOrigin(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://portal.test":           "https://portal.test",
		"https://Portal.TEST/":          "https://portal.test",
		"https://portal.test:443/x":     "https://portal.test",
		"http://portal.test:80":         "http://portal.test",
		"http://portal.test:443":        "http://portal.test:443",
		"https://portal.test:8443":      "https://portal.test:8443",
		"HTTPS://portal.test":           "https://portal.test",
		"https://[2001:DB8::1]:443/":    "https://[2001:db8::1]",
		"http://[2001:db8::1]:8080/app": "http://[2001:db8::1]:8080",
	} {
		u, err := url.Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := gateway.Origin(u); got != want {
			t.Errorf("Origin(%s) = %q, want %q", in, got, want)
		}
	}
}
