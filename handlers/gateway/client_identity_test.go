package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/token"
)

// TestClientIdentityHeaders: a call with an OAuth access token reaches the
// upstream (and /auth/verify's proxy) with its client's id and the client's
// token row, so the API behind knows which machine called; a PAT's caller
// cannot claim a client id.
func TestClientIdentityHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	var mu sync.Mutex
	var seen http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = r.Header.Clone()
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"items":[]}`))
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "fleet", up.URL)

	u, err := f.st.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	dev := access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID}
	if err := f.st.SetDeveloperClients(ctx, dev.PartnerID, true); err != nil {
		t.Fatal(err)
	}
	c, err := f.pats.CreateClient(ctx, dev, pat.ClientInput{Input: pat.Input{Name: "billing", Environment: "live", Days: 30,
		Scopes: []string{"fleet/fleet:read"}}})
	if err != nil {
		t.Fatal(err)
	}
	at, _ := token.New(token.KindAccessToken)
	if _, err := f.st.InsertAccessToken(ctx, c.Token.ID, token.NewHasher(secret).Hash(at), []string{"fleet/fleet:read"}, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	resp, _ := f.call(t, "GET", "/live/fleet/spreaders", at, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("live call with an access token = %d", resp.StatusCode)
	}
	mu.Lock()
	gotClient, gotToken := seen.Get("X-Portico-Client-Id"), seen.Get("X-Portico-Token-Id")
	mu.Unlock()
	if gotClient != c.ClientID || gotToken != strconv.FormatInt(c.Token.ID, 10) {
		t.Errorf("upstream saw client %q token %q, want %q and the client's row %d", gotClient, gotToken, c.ClientID, c.Token.ID)
	}

	resp, _ = f.call(t, "GET", "/auth/verify", at, nginx("GET", "/live/fleet/spreaders"))
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("X-Portico-Client-Id") != c.ClientID {
		t.Errorf("/auth/verify = %d with client %q, want 204 and %q", resp.StatusCode, resp.Header.Get("X-Portico-Client-Id"), c.ClientID)
	}

	pt := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read").Plaintext
	resp, _ = f.call(t, "GET", "/live/fleet/spreaders", pt, map[string]string{"X-Portico-Client-Id": c.ClientID})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("live call with a PAT = %d", resp.StatusCode)
	}
	mu.Lock()
	defer mu.Unlock()
	if v, ok := seen["X-Portico-Client-Id"]; ok {
		t.Errorf("a PAT's call claimed client %q at the upstream", v)
	}
}
