package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
)

// TestGatewayListener runs `portico serve` with PORTICO_GATEWAY_ADDR: the
// gateway's own listener answers the machine surface with the gateway's
// JSON errors (the portal's listener still does too), lets the portal's
// origin alone call it from a browser, and stops with the server.
func TestGatewayListener(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr, gatewayAddr := freeAddr(t), freeAddr(t)
	portal := "http://" + addr
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "PORTICO_ADDR": addr, "PORTICO_GATEWAY_ADDR": gatewayAddr}
	done := make(chan error, 1)
	go func() {
		_, _, err := runCmd(ctx, t, envv, "", "serve")
		done <- err
	}()
	waitReady(t, portal)
	gateway := "http://" + gatewayAddr

	for _, base := range []string{gateway, portal} {
		for _, path := range []string{"/sandbox/fleet/spreaders", "/live/fleet/spreaders", "/auth/verify"} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			var body struct {
				Error struct {
					Code      string `json:"code"`
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_ = json.Unmarshal(raw, &body)
			want := http.StatusUnauthorized
			if path == "/auth/verify" {
				want = http.StatusBadRequest // which call to check is missing
			}
			if resp.StatusCode != want || body.Error.Code == "" || body.Error.RequestID != resp.Header.Get("X-Request-Id") {
				t.Errorf("GET %s%s = %d %s, want %d with a JSON error and its request id", base, path, resp.StatusCode, raw, want)
			}
		}
	}
	if resp, err := http.Post(gateway+"/oauth/token", "application/x-www-form-urlencoded", strings.NewReader("grant_type=client_credentials")); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST /oauth/token without a client = %d, want the OAuth error (400 or 401)", resp.StatusCode)
		}
	}

	// Try it: the portal's pages may call the gateway, no other origin.
	for _, c := range []struct {
		origin string
		allow  string
	}{{portal, portal}, {"https://evil.test", ""}} {
		req, _ := http.NewRequest("OPTIONS", gateway+"/sandbox/fleet/spreaders", nil)
		req.Header.Set("Origin", c.origin)
		req.Header.Set("Access-Control-Request-Method", "GET")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if got := h.Get("Access-Control-Allow-Origin"); got != c.allow {
			t.Errorf("preflight from %s: Access-Control-Allow-Origin = %q, want %q", c.origin, got, c.allow)
		}
		if c.allow != "" && (resp.StatusCode != http.StatusNoContent || !strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") ||
			h.Get("Access-Control-Allow-Credentials") != "") {
			t.Errorf("preflight from the portal = %d %v, want 204 allowing Authorization, without credentials", resp.StatusCode, h)
		}
		req, _ = http.NewRequest("GET", gateway+"/sandbox/fleet/spreaders", nil)
		req.Header.Set("Origin", c.origin)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); got != c.allow {
			t.Errorf("call from %s: Access-Control-Allow-Origin = %q, want %q", c.origin, got, c.allow)
		}
		if c.allow != "" && !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
			t.Errorf("call from the portal: the request id is not exposed to the page")
		}
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return within 30s of cancel")
	}
	if _, err := http.Get(gateway + "/sandbox/fleet/spreaders"); err == nil {
		t.Error("the gateway listener still answers after shutdown")
	}
}

// TestGatewayConfigErrors: a bad PORTICO_GATEWAY_ADDR or URL stops serve
// with one line naming the setting.
func TestGatewayConfigErrors(t *testing.T) {
	t.Parallel()
	dbURL := "postgres://u@127.0.0.1:1/db"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		setting string
	}{
		{"bad gateway address", map[string]string{"PORTICO_GATEWAY_ADDR": "8081"}, "PORTICO_GATEWAY_ADDR"},
		{"gateway on the portal's listener", map[string]string{"PORTICO_ADDR": "127.0.0.1:8080", "PORTICO_GATEWAY_ADDR": "127.0.0.1:8080"}, "PORTICO_GATEWAY_ADDR"},
		{"gateway URL without a listener", map[string]string{"PORTICO_GATEWAY_URL": "https://api.example.com"}, "PORTICO_GATEWAY_URL"},
		{"bad gateway URL", map[string]string{"PORTICO_GATEWAY_ADDR": "127.0.0.1:8081", "PORTICO_GATEWAY_URL": "api.example.com"}, "PORTICO_GATEWAY_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.env["DATABASE_URL"] = dbURL
			_, _, err := runCmd(context.Background(), t, tc.env, "", "serve")
			var u usageError
			if !errors.As(err, &u) {
				t.Fatalf("err = %v, want a usage error naming %s", err, tc.setting)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.setting) || strings.Contains(msg, "\n") {
				t.Errorf("err = %q, want one line naming %s", msg, tc.setting)
			}
		})
	}
}
