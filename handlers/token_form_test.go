package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/token"
)

// shownScope is one scope row of the token form as a reader sees it.
type shownScope struct {
	Value, Name, Description string
}

// shownAPI is one API of the token form's scope picker.
type shownAPI struct {
	Slug      string
	GrantedBy []string
	Scopes    []shownScope
}

// scopePicker reads the scope picker of a token or client form: each API
// with the access groups named as granting it and its scope rows, each
// with the description its checkbox is described by.
func scopePicker(t *testing.T, pg page) []shownAPI {
	t.Helper()
	var out []shownAPI
	for _, fs := range pg.doc.Find("fieldset[data-testid=scope-api]").EachIter() {
		a := shownAPI{Slug: fs.AttrOr("data-slug", "")}
		for _, g := range fs.Find("legend [data-testid=granted-by] [data-testid=granting-group]").EachIter() {
			a.GrantedBy = append(a.GrantedBy, strings.TrimSpace(g.Text()))
		}
		for _, row := range fs.Find("li[data-testid=scope-row]").EachIter() {
			box := row.Find("input[type=checkbox][name=scope]")
			label := row.Find("label[for='" + box.AttrOr("id", "-") + "']")
			s := shownScope{Value: box.AttrOr("value", ""), Name: strings.TrimSpace(label.Text())}
			if id, ok := box.Attr("aria-describedby"); ok {
				s.Description = strings.TrimSpace(pg.doc.Find("#" + id).Text())
			}
			if box.Length() != 1 || label.Length() != 1 {
				t.Errorf("scope row %q has %d checkboxes and %d labels", row.AttrOr("data-scope", ""), box.Length(), label.Length())
			}
			a.Scopes = append(a.Scopes, s)
		}
		out = append(out, a)
	}
	return out
}

// The descriptions of the sample APIs' scopes, as their documents say them.
var (
	fleetRead        = shownScope{"fleet/fleet:read", "fleet:read", "Read spreaders, the sites and cranes they work on, and their live status."}
	maintenanceRead  = shownScope{"maintenance/maintenance:read", "maintenance:read", "Read work orders and their history."}
	maintenanceWrite = shownScope{"maintenance/maintenance:write", "maintenance:write", "Open work orders and change their status."}
	telemetryRead    = shownScope{"telemetry/telemetry:read", "telemetry:read", "Read lift cycles, alarms and sensor time series of your spreaders."}
)

// TestTokenFormDescribesEachScope: the token and client forms group the
// scopes by API under the access groups that grant them, each scope with
// its description from the API's document; a scope the user is not
// granted (Crane's group has maintenance:read, not :write) is not offered,
// nor its description shown.
func TestTokenFormDescribesEachScope(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	if _, err := p.store.DB().Exec(`
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT ag.id, a.id, '{maintenance:read}' FROM access_groups ag, apis a WHERE ag.name = 'Fleet basics' AND a.slug = 'maintenance'`); err != nil {
		t.Fatal(err)
	}
	p.joinIntegrations(t, "admin@harbor.test")
	port := []string{"Port operations"}
	for _, tc := range []struct {
		name, email, path string
		want              []shownAPI
		absent            []string
	}{
		{name: "Harbor's developer, token form", email: "dev@harbor.test", path: "/tokens/new", want: []shownAPI{
			{"fleet", port, []shownScope{fleetRead}},
			{"maintenance", port, []shownScope{maintenanceRead, maintenanceWrite}},
			{"telemetry", port, []shownScope{telemetryRead}},
		}},
		{name: "Crane's developer, token form", email: "dev@crane.test", path: "/tokens/new", want: []shownAPI{
			{"fleet", []string{"Fleet basics"}, []shownScope{fleetRead}},
			{"maintenance", []string{"Fleet basics"}, []shownScope{maintenanceRead}},
		}, absent: []string{maintenanceWrite.Description, telemetryRead.Description, "maintenance:write"}},
		{name: "Harbor's admin, client form", email: "admin@harbor.test", path: "/tokens/new-client", want: []shownAPI{
			{"fleet", port, []shownScope{fleetRead}},
			{"maintenance", port, []shownScope{maintenanceRead, maintenanceWrite}},
			{"telemetry", port, []shownScope{telemetryRead}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := signedInAs(t, p, tc.email).get(tc.path)
			if pg.status != http.StatusOK {
				t.Fatalf("GET %s = %d", tc.path, pg.status)
			}
			got := scopePicker(t, pg)
			if len(got) == 0 || got[len(got)-1].Slug != "portal" {
				t.Fatalf("the management API is not last among %v", got)
			}
			portal := got[len(got)-1]
			if diff := cmp.Diff(tc.want, got[:len(got)-1]); diff != "" {
				t.Errorf("scope picker (-want +got):\n%s", diff)
			}
			for _, s := range portal.Scopes {
				if !strings.HasPrefix(s.Value, "portal:") || s.Name != s.Value || s.Description == "" {
					t.Errorf("management scope %+v: want its name and a description", s)
				}
			}
			body := html(t, pg)
			for _, s := range tc.absent {
				if strings.Contains(body, s) {
					t.Errorf("the form shows %q, of a scope the user is not granted", s)
				}
			}
		})
	}
}

// TestCreatedSecretsReadWhole: the pages that show a new secret (a new
// token, a regenerated one, a new OAuth client) show it whole and alone
// in a code block styled as the page's success, with its copy button
// (revealed by tokens.js) naming it; the text of the block is exactly the
// secret stored: its HMAC is the stored hash.
func TestCreatedSecretsReadWhole(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.joinIntegrations(t, "admin@harbor.test")
	dev := signedInAs(t, p, "dev@harbor.test")
	admin := signedInAs(t, p, "admin@harbor.test")
	_, id := createToken(t, dev, tokenForm("Regenerated", "sandbox", "30", "fleet/fleet:read"))
	hasher := token.NewHasher(testConfig().Secret)
	for _, tc := range []struct {
		name   string
		post   func() page
		code   string // the secret's code element
		copyID string // its copy button
	}{
		{"new token", func() page { return dev.post("/tokens", tokenForm("CI", "sandbox", "30", "fleet/fleet:read")) },
			"token-plaintext", "copy-token"},
		{"regenerated token", func() page { return dev.post("/tokens/"+itoa(id)+"/regenerate", url.Values{"grace": {"0"}}) },
			"token-plaintext", "copy-token"},
		{"new OAuth client", func() page {
			return admin.post("/tokens/new-client", clientForm("Billing", "sandbox", "30", "", "fleet/fleet:read"))
		}, "client-secret", "copy-client-secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pg := tc.post()
			if pg.status != http.StatusOK || pg.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("page = %d, Cache-Control %q", pg.status, pg.header.Get("Cache-Control"))
			}
			if got := pg.doc.Find("p.shown-once[role=status]").Length(); got != 1 {
				t.Errorf("%d 'shown once' success statuses, want 1", got)
			}
			code := pg.doc.Find("figure.secret-once pre.secret-value > code[data-testid=" + tc.code + "]")
			if code.Length() != 1 {
				t.Fatalf("%d secret code blocks with the success style, want 1", code.Length())
			}
			secret := code.Text()
			if _, err := token.Parse(secret); err != nil {
				t.Fatalf("the code block reads %q, not a secret alone: %v", secret, err)
			}
			var stored int
			if err := p.store.DB().Get(&stored, `SELECT count(*) FROM tokens WHERE hash = $1`, hasher.Hash(secret)); err != nil || stored != 1 {
				t.Errorf("%d tokens stored with the hash of the shown secret (%v), want 1", stored, err)
			}
			if inputs := pg.doc.Find("main input[value='" + secret + "']").Length(); inputs != 0 {
				t.Errorf("the secret is also in %d input fields", inputs)
			}
			btn := pg.doc.Find("button[data-testid=" + tc.copyID + "]")
			if btn.AttrOr("data-copy-secret", "") != "#"+code.AttrOr("id", "-") || !hidden(btn) {
				t.Errorf("copy button targets %q (hidden %v), want #%s hidden until the script shows it", btn.AttrOr("data-copy-secret", ""), hidden(btn), code.AttrOr("id", ""))
			}
			if name := strings.Join(strings.Fields(btn.Text()), " "); !strings.HasPrefix(name, "Copy the ") {
				t.Errorf("copy button is named %q, want it to say what it copies", name)
			}
			if pg.doc.Find("script[src*='/static/js/tokens.']").Length() != 1 {
				t.Error("no tokens.js to reveal the copy button")
			}
			if n := strings.Count(html(t, pg), secret); n != 1 {
				t.Errorf("the secret is in the page %d times, want once", n)
			}
		})
	}
}

func hidden(s *goquery.Selection) bool { _, ok := s.Attr("hidden"); return ok }
