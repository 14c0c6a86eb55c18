package handlers_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/openapi/samples"
)

// sampleOperations are the (id, method, path) of a bundled sample's
// operations, by id.
func sampleOperations(t *testing.T, file string) map[string][2]string {
	t.Helper()
	data, err := fs.ReadFile(samples.FS, file)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := catalog.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][2]string{}
	for _, op := range spec.Operations {
		out[op.OperationID] = [2]string{op.Method, op.Path}
	}
	return out
}

// staticPrefix is a path up to its first parameter: /spreaders/{id} ->
// /spreaders/.
func staticPrefix(path string) string {
	if i := strings.Index(path, "{"); i >= 0 {
		return path[:i]
	}
	return path
}

// TestDocsPageSaysEachThingOnce is the issue's "a docs page that says each
// thing once": every operation once, with its four samples beside its
// reference calling the sandbox; one Authentication section holding the
// environments, the scopes and the errors; each base URL once outside the
// samples; no heading twice, although each sample document's description
// has sections of its own on authentication, environments and errors.
func TestDocsPageSaysEachThingOnce(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	for _, who := range []string{"dev@harbor.test", "am@portico.test"} {
		b := signedInAs(t, p, who)
		for _, api := range []struct{ slug, file string }{{"fleet", "fleet.yaml"}, {"telemetry", "telemetry.yaml"}, {"maintenance", "maintenance.yaml"}} {
			t.Run(who+"/"+api.slug, func(t *testing.T) {
				pg := b.get("/apis/" + api.slug)
				sandbox, live := "http://portal.test/sandbox/"+api.slug, "http://portal.test/live/"+api.slug
				ops := sampleOperations(t, api.file)
				for id, mp := range ops {
					sel := fmt.Sprintf("[data-testid=operation][data-operation-id=%q]", id)
					op := pg.doc.Find(sel)
					if op.Length() != 1 {
						t.Errorf("operation %s appears %d times, want once", id, op.Length())
						continue
					}
					if got := [2]string{op.AttrOr("data-method", ""), op.AttrOr("data-path", "")}; got != mp {
						t.Errorf("operation %s is %v, want %v", id, got, mp)
					}
					if n := pg.doc.Find("[id='" + op.AttrOr("id", "") + "']").Length(); n != 1 {
						t.Errorf("operation %s's anchor #%s is on %d elements", id, op.AttrOr("id", ""), n)
					}
					var langs []string
					op.Find("[data-testid=operation-aside] [data-testid=sample]").Each(func(_ int, s *goquery.Selection) {
						langs = append(langs, s.AttrOr("data-lang", ""))
						if code := s.Find("pre code").Text(); !strings.Contains(code, sandbox+staticPrefix(mp[1])) || !strings.Contains(strings.ToUpper(code), mp[0]) {
							t.Errorf("%s: the %s sample does not %s %s%s:\n%s", id, s.AttrOr("data-lang", ""), mp[0], sandbox, mp[1], code)
						}
					})
					if diff := cmp.Diff([]string{"curl", "go", "python", "javascript"}, langs); diff != "" {
						t.Errorf("%s: samples beside the reference (-want +got):\n%s", id, diff)
					}
					// The tabs: one language chosen, each tab naming its box.
					if n := op.Find("input[data-lang-choice][checked]").Length(); n != 1 {
						t.Errorf("%s: %d sample tabs chosen, want 1", id, n)
					}
				}
				if n := pg.doc.Find("[data-testid=operation]").Length(); n != len(ops) {
					t.Errorf("%d operations rendered, the document has %d", n, len(ops))
				}

				// One Authentication section, with the rest inside it.
				auth := pg.doc.Find("[data-testid=authentication]")
				if auth.Length() != 1 {
					t.Fatalf("%d authentication sections, want 1", auth.Length())
				}
				for _, id := range []string{"environments", "scopes", "errors", "try-it"} {
					if n := pg.doc.Find("#" + id).Length(); n != 1 || auth.Find("#"+id).Length() != 1 {
						t.Errorf("#%s: %d on the page, want once, inside Authentication", id, n)
					}
				}
				headings := map[string]int{}
				pg.doc.Find("main h1, main h2, main h3, main h4, main h5, main h6").Each(func(_ int, h *goquery.Selection) {
					headings[strings.ToLower(strings.TrimSpace(h.Text()))]++
				})
				for _, h := range []string{"overview", "authentication", "environments", "scopes", "errors", "try it", "rate limits", "pagination"} {
					if headings[h] > 1 {
						t.Errorf("the heading %q appears %d times", h, headings[h])
					}
				}
				for _, h := range []string{"overview", "authentication", "environments", "errors"} {
					if headings[h] != 1 {
						t.Errorf("the heading %q appears %d times, want once", h, headings[h])
					}
				}
				// Each base URL once, in the environments' table.
				for _, u := range []string{sandbox, live} {
					n := pg.doc.Find("main code").FilterFunction(func(_ int, c *goquery.Selection) bool {
						return strings.TrimSpace(c.Text()) == u && c.Closest("[data-testid=samples]").Length() == 0
					}).Length()
					if n != 1 || pg.doc.Find("#environments + table code").FilterFunction(func(_ int, c *goquery.Selection) bool { return c.Text() == u }).Length() != 1 {
						t.Errorf("the base URL %s is shown %d times outside the samples, want once, in Environments", u, n)
					}
				}
				// The description's own sections on those topics are
				// folded in, not lost: the client-credentials grant is
				// explained under Authentication.
				if got := auth.Find("[data-testid=auth-notes]").Text(); !strings.Contains(got, "client_credentials") {
					t.Errorf("the description's authentication notes are not under Authentication: %q", got)
				}
				if pg.doc.Find("[data-testid=overview]").Find("h3, h4").FilterFunction(func(_ int, h *goquery.Selection) bool {
					return strings.EqualFold(strings.TrimSpace(h.Text()), "Rate limits")
				}).Length() != 1 {
					t.Error("the description's other sections (Rate limits) left the overview")
				}
			})
		}
	}
}
