package handlers_test

import (
	"context"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/openapi/samples"
)

// newCatalogPortal is a portal with the demo people and the demo catalog:
// Fleet, Telemetry and Maintenance; Harbor's Integrations team (with
// dev@harbor.test) holds all three, dev@crane.test the fleet alone.
func newCatalogPortal(t *testing.T) *portal {
	t.Helper()
	p := newPortal(t, false)
	if err := demo.SeedCatalog(context.Background(), p.store); err != nil {
		t.Fatal(err)
	}
	return p
}

// attrs collects an attribute of every element the selector matches.
func attrs(pg page, sel, attr string) []string {
	var out []string
	pg.doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr(attr, "")) })
	return out
}

func sorted(xs []string) []string {
	out := append([]string(nil), xs...)
	sort.Strings(out)
	return out
}

// sampleOperationIDs are the operation ids of a bundled sample document.
func sampleOperationIDs(t *testing.T, file string) []string {
	t.Helper()
	data, err := fs.ReadFile(samples.FS, file)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := catalog.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, path := range spec.Doc.Paths.InMatchingOrder() {
		for _, op := range spec.Doc.Paths.Value(path).Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	sort.Strings(ids)
	return ids
}

func (p *portal) setStatus(t *testing.T, slug, status string, sunset *time.Time) {
	t.Helper()
	ctx := context.Background()
	api, err := p.store.APIBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.store.SetAPIStatus(ctx, api.ID, status, sunset); err != nil {
		t.Fatal(err)
	}
}

func TestAPIDocsRenderEveryOperation(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	for _, who := range []string{"dev@harbor.test", "am@portico.test"} {
		b := signedInAs(t, p, who)
		for _, api := range []struct{ slug, file, name string }{
			{"fleet", "fleet.yaml", "Fleet API"},
			{"telemetry", "telemetry.yaml", "Telemetry API"},
			{"maintenance", "maintenance.yaml", "Maintenance API"},
		} {
			t.Run(who+"/"+api.slug, func(t *testing.T) {
				pg := b.get("/apis/" + api.slug)
				if pg.status != http.StatusOK {
					t.Fatalf("GET /apis/%s = %d", api.slug, pg.status)
				}
				want := sampleOperationIDs(t, api.file)
				ops := pg.doc.Find("[data-testid=operation]")
				if ops.Length() != len(want) {
					t.Errorf("%d operations rendered, the document has %d", ops.Length(), len(want))
				}
				if diff := cmp.Diff(want, sorted(attrs(pg, "[data-testid=operation]", "data-operation-id"))); diff != "" {
					t.Errorf("operations (-spec +page):\n%s", diff)
				}
				if diff := cmp.Diff(want, sorted(attrs(pg, "[data-testid=toc] [data-testid=toc-operation]", "data-operation-id"))); diff != "" {
					t.Errorf("table of contents (-spec +page):\n%s", diff)
				}
				ops.Each(func(_ int, op *goquery.Selection) {
					id := op.AttrOr("data-operation-id", "")
					if href := "#" + op.AttrOr("id", "?"); pg.doc.Find("[data-testid=toc] a[href='"+href+"']").Length() != 1 {
						t.Errorf("%s: no table of contents link to %s", id, href)
					}
					if op.Find("[data-testid=method]").Text() != op.AttrOr("data-method", "") || op.Find("[data-testid=required-scope]").Length() == 0 {
						t.Errorf("%s: method badge %q, %d required scopes", id, op.Find("[data-testid=method]").Text(), op.Find("[data-testid=required-scope]").Length())
					}
					if op.Find("[data-testid=response]").Length() == 0 {
						t.Errorf("%s: no response", id)
					}
					var langs []string
					op.Find("[data-testid=sample]").Each(func(_ int, s *goquery.Selection) {
						langs = append(langs, s.AttrOr("data-lang", ""))
						if code := s.Find("pre code").Text(); !strings.Contains(code, "PORTICO_TOKEN") || !strings.Contains(code, "http://portal.test/sandbox/"+api.slug+"/") {
							t.Errorf("%s: %s sample does not call the sandbox with $PORTICO_TOKEN:\n%s", id, s.AttrOr("data-lang", ""), code)
						}
					})
					if diff := cmp.Diff([]string{"curl", "go", "python", "javascript"}, langs); diff != "" {
						t.Errorf("%s: samples (-want +got):\n%s", id, diff)
					}
				})
				if got := text(pg, "[data-testid=api-name]"); got != api.name {
					t.Errorf("heading = %q, want %q", got, api.name)
				}
				if got := text(pg, "[data-testid=sandbox-url]"); got != "http://portal.test/sandbox/"+api.slug {
					t.Errorf("sandbox URL = %q", got)
				}
				for _, sel := range []string{"[data-testid=overview] .prose", "[data-testid=authentication] [data-testid=auth-header]", "[data-testid=errors] [data-testid=fields]", "[data-testid=errors] [data-testid=error-code]"} {
					if pg.doc.Find(sel).Length() == 0 {
						t.Errorf("page lacks %s", sel)
					}
				}
				if n := pg.doc.Find("script:not([src]), [style]").Length(); n != 0 {
					t.Errorf("%d inline scripts or styles; the CSP forbids them", n)
				}
				if pg.doc.Find("[data-testid=deprecation-banner]").Length() != 0 {
					t.Error("an active API shows the deprecation banner")
				}
			})
		}
	}
}

func TestAPIDocsScopesAndRequestBody(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	pg := signedInAs(t, p, "dev@harbor.test").get("/apis/maintenance")
	if diff := cmp.Diff([]string{"maintenance:read", "maintenance:write"}, attrs(pg, "[data-testid=scopes] [data-testid=scope]", "data-scope")); diff != "" {
		t.Errorf("scopes table (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"true", "true"}, attrs(pg, "[data-testid=scope]", "data-held")); diff != "" {
		t.Errorf("held scopes (-want +got):\n%s", diff)
	}
	create := pg.doc.Find("[data-testid=operation][data-operation-id=createWorkOrder]")
	if create.Find("[data-testid=request-body] [data-testid=field]").Length() == 0 || create.Find("[data-testid=request-body] [data-testid=example]").Length() == 0 {
		t.Error("createWorkOrder shows no request body fields or example")
	}
	if got := create.Find("[data-testid=sample][data-lang=curl] code").Text(); !strings.Contains(got, "--data '") {
		t.Errorf("curl sample of createWorkOrder sends no body:\n%s", got)
	}

	// Crane's developer holds fleet:read only, and sees so.
	fleet := signedInAs(t, p, "dev@crane.test").get("/apis/fleet")
	if got := text(fleet, "[data-testid=your-scopes]"); got != "fleet:read" {
		t.Errorf("your scopes = %q, want fleet:read", got)
	}
	// Staff hold no scope: the table has no column for them.
	staff := signedInAs(t, p, "am@portico.test").get("/apis/maintenance")
	if staff.doc.Find("[data-testid=scopes] th").Length() != 2 || staff.doc.Find("[data-testid=revisions-link]").Length() != 1 {
		t.Errorf("staff view: %d scope columns, %d revisions links", staff.doc.Find("[data-testid=scopes] th").Length(), staff.doc.Find("[data-testid=revisions-link]").Length())
	}
}

func TestAPIDocsDeprecated(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	sunset := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	p.setStatus(t, "fleet", store.APIDeprecated, &sunset)
	for _, who := range []string{"dev@crane.test", "am@portico.test"} {
		b := signedInAs(t, p, who)
		pg := b.get("/apis/fleet")
		banner := pg.doc.Find("[data-testid=deprecation-banner]")
		if pg.status != http.StatusOK || banner.Length() != 1 || !strings.Contains(banner.Text(), "31 March 2027") ||
			banner.Find("time").AttrOr("datetime", "") != "2027-03-31" {
			t.Errorf("%s GET /apis/fleet = %d, banner %q", who, pg.status, strings.TrimSpace(banner.Text()))
		}
		list := b.get("/apis")
		if got := text(list, "[data-slug=fleet] [data-testid=deprecated-badge]"); !strings.Contains(got, "31 March 2027") {
			t.Errorf("%s: catalog badge = %q, want the sunset date", who, got)
		}
	}
}

// catalogSlugs are the APIs GET /apis lists, in order.
func catalogSlugs(pg page) []string { return attrs(pg, "[data-testid=catalog-api]", "data-slug") }

func TestCatalogVisibility(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	all := []string{"fleet", "maintenance", "telemetry"}
	for _, tc := range []struct {
		who    string
		want   []string
		scopes map[string]string // slug: held scopes
		staff  bool
	}{
		{"admin@portico.test", all, nil, true},
		{"am@portico.test", all, nil, true},
		{"dev@harbor.test", all, map[string]string{"fleet": "fleet:read", "maintenance": "maintenance:read maintenance:write", "telemetry": "telemetry:read"}, false},
		{"dev@crane.test", []string{"fleet"}, map[string]string{"fleet": "fleet:read"}, false},
		{"admin@harbor.test", nil, nil, false},
		{"admin@crane.test", nil, nil, false},
	} {
		t.Run(tc.who, func(t *testing.T) {
			pg := signedInAs(t, p, tc.who).get("/apis")
			if pg.status != http.StatusOK {
				t.Fatalf("GET /apis = %d", pg.status)
			}
			if diff := cmp.Diff(tc.want, catalogSlugs(pg)); diff != "" {
				t.Errorf("catalog (-want +got):\n%s", diff)
			}
			for slug, want := range tc.scopes {
				var got []string
				pg.doc.Find("[data-slug='" + slug + "'] [data-testid=held-scope]").Each(func(_ int, s *goquery.Selection) { got = append(got, s.Text()) })
				if strings.Join(got, " ") != want {
					t.Errorf("%s scopes = %v, want %s", slug, got, want)
				}
			}
			staffBits := pg.doc.Find("[data-testid=revisions-link], [data-testid=import-api]").Length()
			if tc.staff && staffBits != len(all)+1 || !tc.staff && staffBits != 0 {
				t.Errorf("%d revisions links and import buttons", staffBits)
			}
			if empty := text(pg, "[data-testid=catalog-empty]"); (len(tc.want) == 0) != (empty != "") || (empty != "" && !strings.Contains(empty, "account manager")) {
				t.Errorf("empty state = %q", empty)
			}
			nav := pg.doc.Find("[data-testid=nav] a")
			if nav.Eq(1).AttrOr("href", "") != "/apis" || nav.Filter("[aria-current=page]").AttrOr("href", "") != "/apis" {
				t.Errorf("navigation: second item %q, current %q; want APIs right after Home, current", nav.Eq(1).AttrOr("href", ""), nav.Filter("[aria-current=page]").AttrOr("href", ""))
			}
		})
	}
}

func TestCatalogEmpty(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false) // people, no API
	for _, tc := range []struct{ who, want string }{
		{"am@portico.test", "Import an API"},
		{"dev@harbor.test", "Ask your partner admin or your account manager"},
	} {
		pg := signedInAs(t, p, tc.who).get("/apis")
		if got := text(pg, "[data-testid=catalog-empty]"); pg.status != http.StatusOK || !strings.Contains(got, tc.want) {
			t.Errorf("%s: GET /apis = %d, empty state %q, want %q", tc.who, pg.status, got, tc.want)
		}
	}
}

func TestAPIDocsAccess(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	p.setStatus(t, "telemetry", store.APIRetired, nil)
	for _, tc := range []struct {
		who, slug string
		want      int
	}{
		{"dev@crane.test", "fleet", http.StatusOK},
		{"dev@crane.test", "maintenance", http.StatusNotFound}, // not granted
		{"dev@crane.test", "telemetry", http.StatusNotFound},
		{"dev@crane.test", "no-such-api", http.StatusNotFound},
		{"admin@harbor.test", "fleet", http.StatusNotFound}, // holds no grant himself
		{"dev@harbor.test", "maintenance", http.StatusOK},
		{"dev@harbor.test", "telemetry", http.StatusNotFound}, // granted, but retired
		{"am@portico.test", "telemetry", http.StatusOK},       // staff still read it
		{"admin@portico.test", "maintenance", http.StatusOK},
		{"am@portico.test", "no-such-api", http.StatusNotFound},
	} {
		t.Run(tc.who+"/"+tc.slug, func(t *testing.T) {
			pg := signedInAs(t, p, tc.who).get("/apis/" + tc.slug)
			if pg.status != tc.want {
				t.Fatalf("GET /apis/%s = %d, want %d", tc.slug, pg.status, tc.want)
			}
			if tc.want == http.StatusNotFound {
				// Exactly the page of an API that does not exist.
				if got := text(pg, "[data-testid=error-message]"); got != "This API was not found." {
					t.Errorf("404 message = %q", got)
				}
				if pg.doc.Find("[data-testid=operation]").Length() != 0 {
					t.Error("the 404 page shows operations")
				}
			}
		})
	}

	// A retired API: hidden from partners, listed with a badge for staff.
	if diff := cmp.Diff([]string{"fleet", "maintenance"}, catalogSlugs(signedInAs(t, p, "dev@harbor.test").get("/apis"))); diff != "" {
		t.Errorf("harbor developer's catalog with telemetry retired (-want +got):\n%s", diff)
	}
	staff := signedInAs(t, p, "am@portico.test")
	if got := text(staff.get("/apis"), "[data-slug=telemetry] [data-testid=retired-badge]"); got != "Retired" {
		t.Errorf("staff catalog: telemetry badge = %q, want Retired", got)
	}
	if staff.get("/apis/telemetry").doc.Find("[data-testid=retired-banner]").Length() != 1 {
		t.Error("staff docs of a retired API: no retired banner")
	}

	// Signed out: to the sign-in form, and back afterwards.
	anon := p.browser(t)
	for _, path := range []string{"/apis", "/apis/fleet", "/apis/no-such-api"} {
		res := anon.get(path)
		if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/sign-in?next=") {
			t.Errorf("signed out GET %s = %d to %q, want 303 to sign-in", path, res.status, loc)
		}
	}
	if anon.get("/").doc.Find("[data-testid=nav] a[href='/apis']").Length() != 0 {
		t.Error("signed-out navigation offers APIs")
	}
}

// TestAPIDocsEscapeDescriptions: markup in a document is shown as text.
func TestAPIDocsEscapeDescriptions(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	doc := strings.Replace(yardDoc, "info: {title: Yard API, version: \"1.0.0\"}",
		"info:\n  title: Yard API\n  version: \"1.0.0\"\n  description: |\n    Hello <script>alert(1)</script> and <b onclick=\"x()\">bold</b>", 1)
	if _, err := catalog.NewService(p.store).Create(context.Background(), access.Actor{}, "yard", "", []byte(doc)); err != nil {
		t.Fatal(err)
	}
	pg := signedInAs(t, p, "am@portico.test").get("/apis/yard")
	if pg.status != http.StatusOK {
		t.Fatalf("GET /apis/yard = %d", pg.status)
	}
	if n := pg.doc.Find("script:not([src]), [data-testid=overview] b, [onclick]").Length(); n != 0 {
		t.Errorf("%d elements from the document's markup reached the page", n)
	}
	if got := text(pg, "[data-testid=overview] .prose"); got != `Hello <script>alert(1)</script> and <b onclick="x()">bold</b>` {
		t.Errorf("overview text = %q, want the markup as text", got)
	}
}
