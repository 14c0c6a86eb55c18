package gateway_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// TestClientCredentialsLibrary: golang.org/x/oauth2's client credentials
// client against a running Portico whose credential cache follows the
// database's notifications, as in production. It gets a token, calls a
// sandbox API with it; once the client is revoked in the portal, its next
// token request is refused and the token it holds is refused within a
// second.
func TestClientCredentialsLibrary(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	srv := f.node(t, f.listening(t))
	for _, style := range []struct {
		name  string
		style oauth2.AuthStyle
	}{{"auto-detected (Basic)", oauth2.AuthStyleAutoDetect}, {"in params", oauth2.AuthStyleInParams}} {
		t.Run(style.name, func(t *testing.T) {
			c := f.client(t, nil)
			cfg := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.Secret, TokenURL: srv.URL + "/oauth/token",
				Scopes: []string{"fleet/fleet:read"}, AuthStyle: style.style}
			ctx := context.Background()
			tok, err := cfg.Token(ctx)
			if err != nil {
				t.Fatal(err)
			}
			f.saw(tok.AccessToken)
			if tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 14*time.Minute || tok.Extra("scope") != "fleet/fleet:read" {
				t.Errorf("token: type %q, expiry in %v, scope %v", tok.TokenType, time.Until(tok.Expiry), tok.Extra("scope"))
			}
			client := cfg.Client(ctx) // reuses the token until it expires
			get := func() int {
				resp, err := client.Get(srv.URL + "/sandbox/fleet/spreaders")
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			if got := get(); got != http.StatusOK {
				t.Fatalf("sandbox call with the library's token = %d", got)
			}
			// Cached on this node now; revoked in the portal (another node).
			if _, err := f.pats.Revoke(ctx, f.dev, c.Token.ID); err != nil {
				t.Fatal(err)
			}
			_, err = cfg.Token(ctx)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) || re.ErrorCode != "invalid_client" || re.Response.StatusCode != http.StatusUnauthorized {
				t.Errorf("token request of the revoked client: %v", err)
			}
			start := time.Now()
			if !within(time.Second, func() bool { return get() == http.StatusUnauthorized }) {
				t.Errorf("the revoked client's access token is still honoured after %v", time.Since(start))
			}
		})
	}
}
