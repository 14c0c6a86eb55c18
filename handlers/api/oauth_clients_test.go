package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/token"
)

// clientBody is a token or OAuth client as the API answers it, with the
// secrets only some answers hold.
type clientBody struct {
	ID              int64    `json:"id"`
	Type            string   `json:"type"`
	ClientID        *string  `json:"client_id"`
	Name            string   `json:"name"`
	Hint            string   `json:"hint"`
	Environment     string   `json:"environment"`
	Scopes          []string `json:"scopes"`
	Status          string   `json:"status"`
	AllowedNetworks []string `json:"allowed_networks"`
	ClientSecret    string   `json:"client_secret"`
	TokenEndpoint   string   `json:"token_endpoint"`
	Token           string   `json:"token"`
}

// allowDeveloperClients sets whether the developers of email's partner
// may register OAuth clients.
func (e *env) allowDeveloperClients(email string, on bool) {
	e.t.Helper()
	u, err := e.store.UserByEmail(context.Background(), email)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.SetDeveloperClients(context.Background(), *u.PartnerID, on); err != nil {
		e.t.Fatal(err)
	}
}

// auditTrail is every audit event as text.
func (e *env) auditTrail() string {
	e.t.Helper()
	var trail string
	if err := e.store.DB().Get(&trail, `SELECT coalesce(string_agg(a::text, ' '), '') FROM audit_events a`); err != nil {
		e.t.Fatal(err)
	}
	return trail
}

// TestOAuthClientsThroughTheAPI: a developer registers a client once their
// partner allows it; the 201 answers the client id, its secret (once) and
// the token endpoint; the client is then one of their tokens: read,
// listed and filtered by type, rotated with its new secret under
// client_secret. No secret reaches a later answer, the log or the audit
// trail, and another partner never sees the client.
func TestOAuthClientsThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	dev := e.signIn("dev@harbor.test")
	body := `{"name":"billing sync","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read"],
		"allowed_networks":["203.0.113.9/24","2001:db8::1"]}`
	want(t, "a developer before the partner allows it", e.call(dev, http.MethodPost, "/api/v1/oauth-clients", body), http.StatusForbidden, "forbidden")
	e.allowDeveloperClients("dev@harbor.test", true)

	rec := e.call(dev, http.MethodPost, "/api/v1/oauth-clients", body)
	if rec.Code != http.StatusCreated {
		t.Fatalf("register = %d %s", rec.Code, rec.Body)
	}
	created := decodeBody[clientBody](t, rec)
	if created.ClientID == nil || !token.ValidPublicID(token.ClientIDPrefix, *created.ClientID) {
		t.Fatalf("client_id = %v", created.ClientID)
	}
	if _, err := token.Parse(created.ClientSecret); err != nil || !strings.HasPrefix(created.ClientSecret, "ptc_cs_") || created.Hint != token.Hint(created.ClientSecret) {
		t.Errorf("client_secret %q (hint %q) is not a client secret", created.ClientSecret, created.Hint)
	}
	wantCreated := clientBody{ID: created.ID, Type: "oauth_client", ClientID: created.ClientID, Name: "billing sync", Hint: created.Hint,
		Environment: "sandbox", Scopes: []string{"fleet/fleet:read"}, Status: "active", AllowedNetworks: []string{"2001:db8::1/128", "203.0.113.0/24"},
		ClientSecret: created.ClientSecret, TokenEndpoint: "http://portal.test/oauth/token"}
	if diff := cmp.Diff(wantCreated, created); diff != "" {
		t.Errorf("201 body (-want +got):\n%s", diff)
	}
	path := "/api/v1/tokens/" + strconv.FormatInt(created.ID, 10)
	if rec.Header().Get("Location") != path || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Location %q, Cache-Control %q", rec.Header().Get("Location"), rec.Header().Get("Cache-Control"))
	}

	// Read back: the same client without its secret.
	got := e.call(dev, http.MethodGet, path, "")
	stored := decodeBody[clientBody](t, got)
	wantStored := wantCreated
	wantStored.ClientSecret, wantStored.TokenEndpoint = "", ""
	if diff := cmp.Diff(wantStored, stored); diff != "" || strings.Contains(got.Body.String(), created.ClientSecret) {
		t.Errorf("GET (-want +got):\n%s", diff)
	}

	// Lists: both kinds by default, each alone with type=.
	pat := e.createToken(dev, "sandbox", "fleet/fleet:read")
	lists := []struct{ query, wantTypes string }{
		{"", "personal_access_token oauth_client"}, // newest first
		{"?type=oauth_client", "oauth_client"},
		{"?type=personal_access_token", "personal_access_token"},
		{"?type=oauth_client&status=revoked", ""},
	}
	for _, l := range lists {
		rec := e.call(dev, http.MethodGet, "/api/v1/tokens"+l.query, "")
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), created.ClientSecret) {
			t.Fatalf("list%s = %d; or the secret shown", l.query, rec.Code)
		}
		if got := listedTypes(t, rec.Body.Bytes()); got != l.wantTypes {
			t.Errorf("list%s: types %q, want %q", l.query, got, l.wantTypes)
		}
	}
	want(t, "an unknown type", e.callOff(dev, http.MethodGet, "/api/v1/tokens?type=client", "", ""), http.StatusBadRequest, "bad_request")
	admin := e.signIn("admin@harbor.test")
	if got := listedTypes(t, e.call(admin, http.MethodGet, "/api/v1/partner/tokens?type=oauth_client", "").Body.Bytes()); got != "oauth_client" {
		t.Errorf("the partner admin's list of clients: %q", got)
	}

	// Rotation: the new secret under client_secret, a PAT's still under token.
	rec = e.call(dev, http.MethodPost, path+"/regenerate", `{"grace_seconds":60}`)
	if rec.Code != http.StatusOK {
		t.Fatalf("regenerate = %d %s", rec.Code, rec.Body)
	}
	rotated := decodeBody[clientBody](t, rec)
	if !strings.HasPrefix(rotated.ClientSecret, "ptc_cs_") || rotated.ClientSecret == created.ClientSecret || rotated.Token != "" ||
		rotated.Type != "oauth_client" || *rotated.ClientID != *created.ClientID {
		t.Errorf("regenerated client: %+v", rotated)
	}
	rec = e.call(dev, http.MethodPost, "/api/v1/tokens/"+strconv.FormatInt(pat.ID, 10)+"/regenerate", `{}`)
	if r := decodeBody[clientBody](t, rec); !strings.HasPrefix(r.Token, "ptc_sbx_") || r.ClientSecret != "" || r.Type != "personal_access_token" ||
		r.ClientID != nil || r.AllowedNetworks == nil {
		t.Errorf("regenerated PAT: %s", rec.Body)
	}

	// Another partner: the client is not there.
	crane := e.signIn("admin@crane.test")
	want(t, "another partner's client", e.call(crane, http.MethodGet, path, ""), http.StatusNotFound, "not_found")
	want(t, "rotating another partner's client", e.call(crane, http.MethodPost, path+"/regenerate", `{}`), http.StatusNotFound, "not_found")
	if rec := e.call(crane, http.MethodGet, "/api/v1/partner/tokens?type=oauth_client&status=all", ""); strings.Contains(rec.Body.String(), *created.ClientID) {
		t.Errorf("another partner's list shows the client: %s", rec.Body)
	}

	// The audit trail names the client, never a secret; nor does the log.
	trail := e.auditTrail()
	if !strings.Contains(trail, "client.create") || !strings.Contains(trail, *created.ClientID) {
		t.Error("the audit trail does not record the registration with the client id")
	}
	for _, secret := range []string{created.ClientSecret, rotated.ClientSecret} {
		body := secret[len("ptc_cs_"):]
		if strings.Contains(trail, body) || strings.Contains(e.logs.String(), body) {
			t.Error("a client secret is in the audit trail or the log")
		}
	}
}

// listedTypes is the type of each listed item, distinct, in order.
func listedTypes(t *testing.T, b []byte) string {
	t.Helper()
	var l struct{ Items []clientBody }
	if err := json.Unmarshal(b, &l); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range l.Items {
		if len(out) == 0 || out[len(out)-1] != it.Type {
			out = append(out, it.Type)
		}
		if (it.Type == "oauth_client") != (it.ClientID != nil) || it.AllowedNetworks == nil {
			t.Errorf("item %d: type %q, client_id %v, allowed_networks %v", it.ID, it.Type, it.ClientID, it.AllowedNetworks)
		}
	}
	return strings.Join(out, " ")
}

// TestOAuthClientRefusals: who may register which client, and every bad
// input answered as the field it is about, nothing stored.
func TestOAuthClientRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	e.allowDeveloperClients("dev@harbor.test", true)
	dev := e.signIn("dev@harbor.test")
	devToken := e.createToken(dev, "live", "portal:tokens:write").Token
	nets := make([]string, 21)
	for i := range nets {
		nets[i] = fmt.Sprintf(`"10.0.%d.0/24"`, i)
	}
	client := func(fields string) string {
		return `{"name":"sync","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read"]` + fields + `}`
	}
	for _, tc := range []struct {
		what, body string
		// off: the body breaks the document on purpose.
		off    bool
		status int
		code   string
		field  string
	}{
		{"a network that is no network", client(`,"allowed_networks":["10.0.0.0/33"]`), false, 422, "invalid_input", "allowed_networks"},
		{"a host name for a network", client(`,"allowed_networks":["example.com"]`), false, 422, "invalid_input", "allowed_networks"},
		{"too many networks", client(`,"allowed_networks":[` + strings.Join(nets, ",") + `]`), true, 422, "invalid_input", "allowed_networks"},
		{"a scope not granted", `{"name":"sync","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:write"]}`, false, 422, "invalid_input", "scopes"},
		{"an unknown API's scope", `{"name":"sync","environment":"sandbox","expires_in_days":30,"scopes":["cranes/cranes:read"]}`, false, 422, "invalid_input", "scopes"},
		{"no lifetime", `{"name":"sync","environment":"sandbox","expires_in_days":0,"scopes":["fleet/fleet:read"]}`, true, 422, "invalid_input", "expires_in_days"},
		{"beyond the maximum lifetime", `{"name":"sync","environment":"sandbox","expires_in_days":9999,"scopes":["fleet/fleet:read"]}`, true, 422, "invalid_input", "expires_in_days"},
		{"a NUL in the name", `{"name":"a\u0000b","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read"]}`, false, 422, "invalid_input", "name"},
		{"a NUL in a network", client(`,"allowed_networks":["10.0.0.0/8\u0000"]`), false, 422, "invalid_input", "allowed_networks[0]"},
		{"no name", `{"name":"  ","environment":"sandbox","expires_in_days":30,"scopes":["fleet/fleet:read"]}`, false, 422, "invalid_input", "name"},
		{"networks as a string", client(`,"allowed_networks":"10.0.0.0/8"`), true, 422, "invalid_input", "allowed_networks"},
		{"an unknown field", client(`,"redirect_uris":["https://x.test"]`), true, 400, "bad_request", ""},
	} {
		t.Run(tc.what, func(t *testing.T) {
			rec := e.callOff(dev, http.MethodPost, "/api/v1/oauth-clients", tc.body, "application/json")
			if !tc.off {
				rec = e.call(dev, http.MethodPost, "/api/v1/oauth-clients", tc.body)
			}
			want(t, tc.what, rec, tc.status, tc.code)
			if msg := decodeErr(t, rec).Error.Message; tc.field != "" && !strings.HasPrefix(msg, tc.field+": ") {
				t.Errorf("message %q does not start with the field %s", msg, tc.field)
			}
		})
	}

	// Who: live clients only from a recent session; staff never; a
	// developer no more once the partner withdraws it.
	live := `{"name":"prod","environment":"live","expires_in_days":30,"scopes":["portal:tokens:read"]}`
	want(t, "a live client by a token", e.bearer(devToken, http.MethodPost, "/api/v1/oauth-clients", live), http.StatusForbidden, "forbidden")
	if rec := e.bearer(devToken, http.MethodPost, "/api/v1/oauth-clients", client("")); rec.Code != http.StatusCreated {
		t.Errorf("a sandbox client by a token with portal:tokens:write = %d %s", rec.Code, rec.Body)
	}
	want(t, "staff", e.call(e.signIn("admin@portico.test"), http.MethodPost, "/api/v1/oauth-clients", client("")), http.StatusForbidden, "forbidden")
	e.allowDeveloperClients("dev@harbor.test", false)
	want(t, "a developer after the partner withdrew it", e.call(dev, http.MethodPost, "/api/v1/oauth-clients", client("")), http.StatusForbidden, "forbidden")
	admin := e.signIn("admin@harbor.test")
	e.expireSudo()
	want(t, "a live client after the sudo window", e.call(admin, http.MethodPost, "/api/v1/oauth-clients", live), http.StatusForbidden, "reauthentication_required")

	var clients int
	if err := e.store.DB().Get(&clients, `SELECT count(*) FROM tokens WHERE client_id IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	if clients != 1 {
		t.Errorf("%d clients stored, want only the one registered by the token", clients)
	}
}

// TestPartnerAdminRegistersLiveClient: a partner admin registers a live
// client with the scopes they are granted, at once active (no approval of
// their own).
func TestPartnerAdminRegistersLiveClient(t *testing.T) {
	t.Parallel()
	e := newEnv(t).withCatalog()
	admin := e.signIn("admin@harbor.test")
	rec := e.call(admin, http.MethodPost, "/api/v1/oauth-clients", `{"name":"members sync","environment":"live","expires_in_days":90,"scopes":["portal:members:read"]}`)
	if rec.Code != http.StatusCreated {
		t.Fatalf("register = %d %s", rec.Code, rec.Body)
	}
	if c := decodeBody[clientBody](t, rec); c.Status != "active" || c.Environment != "live" || len(c.AllowedNetworks) != 0 || c.AllowedNetworks == nil {
		t.Errorf("live client: %+v", c)
	}
}
