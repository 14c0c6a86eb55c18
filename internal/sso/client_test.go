package sso_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/sso"
)

// TestProviderClientStaysOutOfTheNetwork: the client that reaches
// identity providers refuses loopback (and every address inside the
// network) unless allowed, reads answers up to 1 MiB only, and a failed
// discovery never echoes what answered.
func TestProviderClientStaysOutOfTheNetwork(t *testing.T) {
	t.Parallel()
	banner := "internal-build-server v1.2 secret-banner"
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write([]byte(strings.Repeat("x", 3<<20)))
			return
		}
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(banner))
	}))
	t.Cleanup(srv.Close)

	_, err := sso.NewHTTPClient(false).Get(srv.URL + "/big")
	if !errors.Is(err, sso.ErrPrivateAddress) {
		t.Errorf("loopback without leave: err = %v, want ErrPrivateAddress", err)
	}

	// Allowed (a provider on premises), loopback is reached, and a 3 MiB
	// answer is read up to 1 MiB.
	plain := httptest.NewServer(srv.Config.Handler)
	t.Cleanup(plain.Close)
	resp, err := sso.NewHTTPClient(true).Get(plain.URL + "/big")
	if err != nil {
		t.Fatalf("loopback with leave: %v", err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if n != 1<<20 {
		t.Errorf("read %d bytes of a 3 MiB answer, want 1 MiB", n)
	}

	svc := sso.New(pgtest.Store(t), sso.MustBox([]byte("client test server secret-client test")), nil, mail.NewOutbox(pgtest.Store(t)), "https://portal.test")
	err = svc.CheckIssuer(context.Background(), srv.URL)
	var ie *sso.IssuerError
	if !errors.As(err, &ie) || !strings.Contains(ie.Reason, "inside the portal's network") {
		t.Errorf("issuer on loopback: %v, want it refused as inside the network", err)
	}
	withLeave := sso.New(pgtest.Store(t), sso.MustBox([]byte("client test server secret-client test")), srv.Client(), nil, "https://portal.test")
	err = withLeave.CheckIssuer(context.Background(), srv.URL+"/internal")
	if err == nil || strings.Contains(err.Error(), "secret-banner") || !strings.Contains(err.Error(), "404") {
		t.Errorf("discovery answered 404 with a banner: error %v, want the status and not the banner", err)
	}
}
