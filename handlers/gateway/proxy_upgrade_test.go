package gateway_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUpgradeIsNotForwarded: the gateway cannot hand a connection over,
// so a caller's Upgrade is not passed on: the call is served as a plain
// one instead of failing as a 502 that anyone could repeat into the log.
func TestUpgradeIsNotForwarded(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	live := f.token(t, "dev@harbor.test", "live", "uploads/uploads:write").Plaintext
	for _, upgrade := range []string{"websocket", "caf\xe9"} {
		c, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /live/uploads/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n"+
			"Connection: Upgrade\r\nUpgrade: %s\r\nContent-Length: 2\r\n\r\nhi", live, upgrade)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		c.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode >= 500 {
			t.Errorf("Upgrade: %q = %d, want the call served", upgrade, resp.StatusCode)
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, "upstream failed") {
		t.Errorf("an Upgrade header was logged as an upstream failure:\n%s", logs)
	}
}

// TestInterimThenFailureKeepsRequestID: an upstream that sends a 103 and
// then fails is answered 502 whose body names the call's request id (the
// 1xx cleared the header map it was read from).
func TestInterimThenFailureKeepsRequestID(t *testing.T) {
	t.Parallel()
	l := newLimited(t, 1000, nil)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(up.Close)
	l.setUpstream(t, "fleet", up.URL)
	live := l.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	req, _ := http.NewRequest("GET", l.srv.URL+"/live/fleet/spreaders", nil)
	req.Header.Set("Authorization", "Bearer "+live)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e struct {
		Error struct {
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
		t.Fatal(err)
	}
	rid := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != http.StatusBadGateway || rid == "" || e.Error.RequestID != rid {
		t.Errorf("= %d, X-Request-Id %q, body's request_id %q; want 502 naming the same id", resp.StatusCode, rid, e.Error.RequestID)
	}
}
