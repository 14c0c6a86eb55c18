package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/token"
)

func TestResourceServersAreForPlatformAdmins(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	var id string
	if err := p.store.DB().Get(&id, `
		INSERT INTO resource_servers (name, client_id, hash, hint) VALUES ('Edge', 'prs_AAAAAAAAAAAAAAAAAAAAAA', '\x01', 'ptc_srv_…abcd') RETURNING id::text`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who  string
		want int
	}{
		{"admin@portico.test", http.StatusOK},
		{"am@portico.test", http.StatusForbidden},
		{"admin@harbor.test", http.StatusForbidden},
		{"admin@crane.test", http.StatusForbidden},
		{"dev@harbor.test", http.StatusForbidden},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			for _, res := range []page{
				b.get("/resource-servers"),
				b.get("/resource-servers/" + id + "/revoke"),
			} {
				if res.status != tc.want {
					t.Errorf("GET = %d, want %d", res.status, tc.want)
				}
			}
			if tc.want == http.StatusOK {
				return
			}
			for _, res := range []page{
				b.post("/resource-servers", url.Values{"name": {"Mine"}}),
				b.post("/resource-servers/"+id+"/revoke", nil),
			} {
				if res.status != tc.want {
					t.Errorf("POST = %d, want %d", res.status, tc.want)
				}
			}
			if res := b.get("/settings"); res.doc.Find("a[href='/resource-servers']").Length() != 0 {
				t.Error("the page is linked for a role that may not see it")
			}
		})
	}
	var open int
	if err := p.store.DB().Get(&open, `SELECT count(*) FROM resource_servers WHERE revoked_at IS NULL`); err != nil || open != 1 {
		t.Errorf("after refused requests %d open credentials (%v), want the 1 seeded", open, err)
	}
	if got := p.auditDetails(t, "resource_server.create"); len(got) != 0 {
		t.Errorf("refused requests audited as creations: %v", got)
	}
}

func TestIssueAndRevokeResourceServerCredentials(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	admin := signedInAs(t, p, "admin@portico.test")
	if href := admin.get("/settings").doc.Find("[data-testid=resource-servers-link] a").AttrOr("href", ""); href != "/resource-servers" {
		t.Errorf("settings link to resource servers = %q", href)
	}
	empty := admin.get("/resource-servers")
	if !strings.Contains(text(empty, "[data-testid=no-resource-servers]"), "introspect") {
		t.Errorf("empty state = %q, want it to say what credentials are for", text(empty, "[data-testid=no-resource-servers]"))
	}

	for _, bad := range []string{"", "   ", strings.Repeat("x", 101)} {
		res := admin.post("/resource-servers", url.Values{"name": {bad}})
		if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=server-name-error]") == "" {
			t.Errorf("name %q = %d, error %q", bad, res.status, text(res, "[data-testid=server-name-error]"))
		}
	}

	res := admin.post("/resource-servers", url.Values{"name": {"  Edge gateway "}})
	if res.status != http.StatusOK || res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create = %d, Cache-Control %q", res.status, res.header.Get("Cache-Control"))
	}
	clientID := res.doc.Find("[data-testid=server-client-id]").AttrOr("value", "")
	secret := res.doc.Find("[data-testid=server-secret]").AttrOr("value", "")
	if !token.ValidPublicID(token.ResourceServerIDPrefix, clientID) {
		t.Errorf("client id %q is not a prs_ id", clientID)
	}
	if parsed, err := token.Parse(secret); err != nil || parsed.Kind != token.KindResourceServer {
		t.Fatalf("secret %q: %v", secret, err)
	}
	curl := text(res, "[data-testid=server-usage]")
	for _, want := range []string{"curl -u", clientID, "-d token=", "http://portal.test/oauth/introspect"} {
		if !strings.Contains(curl, want) {
			t.Errorf("curl example %q lacks %q", curl, want)
		}
	}
	if strings.Contains(p.dump(t, "resource_servers")+p.dump(t, "audit_events"), secret) {
		t.Error("the secret is stored in plaintext")
	}
	if got, err := p.store.ResourceServerByHash(t.Context(), token.NewHasher(testConfig().Secret).Hash(secret)); err != nil || got.ClientID != clientID {
		t.Errorf("the stored hash does not find the credential: %+v, %v", got, err)
	}

	list := admin.get("/resource-servers")
	row := list.doc.Find("[data-testid=resource-server]")
	if row.Length() != 1 || strings.TrimSpace(row.Find("[data-testid=server-name]").Text()) != "Edge gateway" ||
		strings.TrimSpace(row.Find("[data-testid=server-client-id]").Text()) != clientID ||
		strings.TrimSpace(row.Find("[data-testid=server-hint]").Text()) != token.Hint(secret) {
		t.Fatalf("list row: %q", strings.Join(strings.Fields(row.Text()), " "))
	}
	if !strings.Contains(row.Text(), "Pat Admin") || !strings.Contains(row.Find("[data-testid=server-last-used]").Text(), "never") {
		t.Errorf("row lacks its creator or last use: %q", strings.Join(strings.Fields(row.Text()), " "))
	}
	if strings.Contains(html(t, list), secret) {
		t.Error("the list shows the secret")
	}

	confirm := admin.get(row.Find("[data-testid=revoke-server]").AttrOr("href", ""))
	action := confirm.doc.Find("[data-testid=confirm-revoke-server] form").AttrOr("action", "")
	if confirm.status != http.StatusOK || action == "" {
		t.Fatalf("confirmation = %d, action %q", confirm.status, action)
	}
	if got := admin.get("/resource-servers").doc.Find("[data-testid=server-status]").Text(); !strings.Contains(got, "active") {
		t.Errorf("showing the confirmation changed the status: %q", got)
	}
	if res := admin.post(action, nil); res.status != http.StatusSeeOther || res.header.Get("Location") != "/resource-servers" {
		t.Fatalf("revoke = %d to %q", res.status, res.header.Get("Location"))
	}
	after := admin.get("/resource-servers")
	if got := after.doc.Find("[data-testid=server-status]").Text(); !strings.Contains(got, "revoked") {
		t.Errorf("status after revoke = %q", got)
	}
	if after.doc.Find("[data-testid=revoke-server]").Length() != 0 {
		t.Error("a revoked credential is offered for revocation")
	}
	if res := admin.post(action, nil); res.status != http.StatusSeeOther {
		t.Errorf("revoking again = %d, want a redirect saying it was revoked", res.status)
	}
	if res := admin.get("/resource-servers/999999/revoke"); res.status != http.StatusNotFound {
		t.Errorf("unknown credential = %d, want 404", res.status)
	}
	want := []string{`{"hint": "` + token.Hint(secret) + `", "client_id": "` + clientID + `"}`}
	if diff := cmp.Diff(want, p.auditDetails(t, "resource_server.create")); diff != "" {
		t.Errorf("create audit (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, p.auditDetails(t, "resource_server.revoke")); diff != "" {
		t.Errorf("revoke audit (-want +got):\n%s", diff)
	}
}

func TestPortalSettingsAccessTokenLifetime(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	for _, who := range []string{"am@portico.test", "admin@harbor.test", "dev@harbor.test"} {
		if res := signedInAs(t, p, who).post("/settings/access-tokens", url.Values{"access_token_minutes": {"30"}}); res.status != http.StatusForbidden {
			t.Errorf("%s saves the access token lifetime = %d, want 403", who, res.status)
		}
	}
	admin := signedInAs(t, p, "admin@portico.test")
	if got := admin.get("/settings").doc.Find("input[name=access_token_minutes]").AttrOr("value", ""); got != "15" {
		t.Errorf("default shown = %q, want 15", got)
	}
	for _, bad := range []string{"0", "1441", "fifteen", "", "2.5"} {
		res := admin.post("/settings/access-tokens", url.Values{"access_token_minutes": {bad}})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=access-token-minutes-error]"), "1 to 1440") {
			t.Errorf("%q = %d, error %q", bad, res.status, text(res, "[data-testid=access-token-minutes-error]"))
		}
		if got := res.doc.Find("input[name=access_token_minutes]").AttrOr("value", ""); got != bad {
			t.Errorf("input %q not kept: %q", bad, got)
		}
		if got := res.doc.Find("input[name=token_max_days]").AttrOr("value", ""); got != "365" {
			t.Errorf("the token maximum beside it shows %q", got)
		}
	}
	if res := admin.post("/settings/access-tokens", url.Values{"access_token_minutes": {"5"}}); res.status != http.StatusSeeOther {
		t.Fatalf("save 5 = %d", res.status)
	}
	if got := admin.get("/settings").doc.Find("input[name=access_token_minutes]").AttrOr("value", ""); got != "5" {
		t.Errorf("saved value shown = %q", got)
	}
	s, err := p.store.Settings(t.Context())
	if err != nil || s.AccessTokenMinutes != 5 {
		t.Errorf("stored %+v, %v", s, err)
	}
	admin.post("/settings/access-tokens", url.Values{"access_token_minutes": {"5"}}) // unchanged: no event
	if diff := cmp.Diff([]string{`{"to": 5, "from": 15}`}, p.auditDetails(t, "settings.access_token_minutes")); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

func TestResourceServerCredentialsAreBounded(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO resource_servers (name, client_id, hash, hint)
		SELECT 'Service ' || i, 'prs_' || lpad(i::text, 22, '0'), decode(md5(i::text), 'hex'), 'ptc_srv_…' || i
		FROM generate_series(1, 50) i`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@portico.test")
	res := admin.post("/resource-servers", url.Values{"name": {"One too many"}})
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=server-name-error]"), "revoke one") {
		t.Errorf("51st credential = %d, error %q", res.status, text(res, "[data-testid=server-name-error]"))
	}
	if got := res.doc.Find("input[name=name]").AttrOr("value", ""); got != "One too many" {
		t.Errorf("name not kept: %q", got)
	}
	if res.doc.Find("[data-testid=resource-server]").Length() != 50 {
		t.Errorf("the refusal lists %d credentials, want 50", res.doc.Find("[data-testid=resource-server]").Length())
	}
	// Revoking one makes room.
	confirm := admin.get(res.doc.Find("[data-testid=revoke-server]").First().AttrOr("href", ""))
	admin.post(confirm.doc.Find("[data-testid=confirm-revoke-server] form").AttrOr("action", ""), nil)
	if res := admin.post("/resource-servers", url.Values{"name": {"Now it fits"}}); res.status != http.StatusOK {
		t.Errorf("after a revocation = %d, want the new credential", res.status)
	}
}

// TestRevokedResourceServersArePaged: every page lists the open
// credentials, then 50 revoked ones, most recently revoked first; the
// pager walks through all of them once, and a made-up cursor is a 400.
func TestRevokedResourceServersArePaged(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO resource_servers (name, client_id, hash, hint, revoked_at)
		SELECT 'Service ' || i, 'prs_' || lpad(i::text, 22, '0'), decode(md5(i::text), 'hex'), 'ptc_srv_…' || i,
		       CASE WHEN i > 2 THEN now() - i * interval '1 minute' END
		FROM generate_series(1, 122) i`); err != nil {
		t.Fatal(err)
	}
	admin := signedInAs(t, p, "admin@portico.test")
	var revoked []string
	path, pages := "/resource-servers", 0
	for path != "" {
		pages++
		res := admin.get(path)
		if res.status != http.StatusOK {
			t.Fatalf("%s = %d", path, res.status)
		}
		var open []string
		res.doc.Find("[data-testid=resource-server]").Each(func(_ int, s *goquery.Selection) {
			name := s.Find("[data-testid=server-name]").Text()
			if s.Find("[data-testid=revoke-server]").Length() == 1 {
				open = append(open, name)
			} else {
				revoked = append(revoked, name)
			}
		})
		if diff := cmp.Diff([]string{"Service 2", "Service 1"}, open); diff != "" {
			t.Errorf("page %d's open credentials (-want +got):\n%s", pages, diff)
		}
		path = res.doc.Find("[data-testid=revoked-pager] [data-testid=next-page]").AttrOr("href", "")
		path, _, _ = strings.Cut(path, "#")
	}
	var want []string
	for i := 3; i <= 122; i++ { // revoked i minutes ago: the lower, the newer
		want = append(want, "Service "+strconv.Itoa(i))
	}
	if diff := cmp.Diff(want, revoked); diff != "" || pages != 3 {
		t.Errorf("%d pages; revoked credentials in page order (-want +got):\n%s", pages, diff)
	}
	if res := admin.get("/resource-servers?after=bm90LWEtY3Vyc29y"); res.status != http.StatusBadRequest {
		t.Errorf("made-up cursor = %d, want 400", res.status)
	}
}
