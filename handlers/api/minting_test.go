package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/internal/token"
)

// TestAccessTokensMintNothing: a live client holding portal:tokens:write
// may read tokens with its access token, but not create a PAT or a client
// or rotate a secret: a 15-minute token must not leave behind a credential
// that outlives it.
func TestAccessTokensMintNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	admin := e.signIn("admin@harbor.test")
	rec := e.call(admin, http.MethodPost, "/api/v1/oauth-clients", `{"name":"automation","environment":"live","expires_in_days":90,
		"scopes":["portal:tokens:read","portal:tokens:write"]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("register = %d %s", rec.Code, rec.Body)
	}
	client := decodeBody[clientBody](t, rec)
	at, _ := token.New(token.KindAccessToken)
	hash := token.NewHasher(testConfig().Secret).Hash(at)
	if _, err := e.store.InsertAccessToken(t.Context(), client.ID, hash, []string{"portal:tokens:read", "portal:tokens:write"}, time.Now().Add(15*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if rec := e.bearer(at, http.MethodGet, "/api/v1/tokens", ""); rec.Code != http.StatusOK {
		t.Fatalf("listing tokens with the access token = %d %s", rec.Code, rec.Body)
	}
	for _, c := range []struct{ what, path, body string }{
		{"a PAT", "/api/v1/tokens", `{"name":"x","environment":"sandbox","expires_in_days":30,"scopes":["portal:tokens:read"]}`},
		{"a client", "/api/v1/oauth-clients", `{"name":"x","environment":"sandbox","expires_in_days":30,"scopes":["portal:tokens:read"]}`},
		{"a new secret for its client", "/api/v1/tokens/" + strconv.FormatInt(client.ID, 10) + "/regenerate", `{"grace_seconds":86400}`},
	} {
		want(t, "an access token creating "+c.what, e.bearer(at, http.MethodPost, c.path, c.body), http.StatusForbidden, "forbidden")
	}
	var n int
	if err := e.store.DB().Get(&n, `SELECT count(*) FROM tokens`); err != nil || n != 1 {
		t.Errorf("tokens rows = %d (%v), want only the client", n, err)
	}
}
