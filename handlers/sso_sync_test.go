package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/apitest"
	"github.com/portico/portico/internal/demo"
)

// TestSyncNow: Harbor's admin opens the single sign-on page, which says
// what a sync does and that none ran yet, and presses "Sync now" after
// Kim left the directory: Kim is signed out at once, Lee stays, the page
// names who lost access, and the admin is mailed. Pressed again at once,
// the sync is refused; a developer may not press it at all.
func TestSyncNow(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.person("kim@harbor.test")
	w.person("lee@harbor.test")
	kim, lee := w.portal.browser(t), w.portal.browser(t)
	w.signIn(kim, "kim@harbor.test")
	w.signIn(lee, "lee@harbor.test")
	if viewerName(kim) == "" || viewerName(lee) == "" {
		t.Fatal("Kim and Lee could not sign in through the provider")
	}
	admin := w.portal.browser(t)
	admin.signIn("admin@harbor.test", demo.Password)

	pg := admin.get("/sso")
	if got := text(pg, "[data-testid=sso-last-sync]"); got != "Never synced yet." {
		t.Errorf("last sync before any: %q", got)
	}
	if pg.doc.Find("form[action='/sso/sync'] [data-testid=sso-sync-now]").Length() != 1 {
		t.Errorf("no Sync now button on the page: %s", text(pg, "[data-testid=sso-sync]"))
	}
	if pg.doc.Find("[data-testid=sso-sync-offline]").Length() != 0 {
		t.Error("the page says the provider issues no refresh tokens; it does")
	}

	w.op.RemoveUser("sub-kim@harbor.test")
	if pg = admin.post("/sso/sync", nil); pg.status != http.StatusSeeOther || pg.header.Get("Location") != "/sso" {
		t.Fatalf("POST /sso/sync: %d to %q", pg.status, pg.header.Get("Location"))
	}
	pg = admin.get("/sso")
	flash := text(pg, "[data-testid=flash]")
	for _, want := range []string{"Checked 2 of 2 people: 1 kept access, 1 lost it: Person kim@harbor.test (kim@harbor.test)."} {
		if !strings.Contains(flash, want) {
			t.Errorf("flash %q does not say %q", flash, want)
		}
	}
	if got := text(pg, "[data-testid=sso-last-sync]"); !strings.HasPrefix(got, "Last synced ") {
		t.Errorf("last sync after one: %q", got)
	}
	if got := viewerName(kim); got != "" {
		t.Errorf("Kim, gone from the directory, is still signed in as %q", got)
	}
	if got := viewerName(lee); got != "Person lee@harbor.test" {
		t.Errorf("Lee is signed in as %q after the sync", got)
	}
	var mails int
	if err := w.portal.store.DB().Get(&mails, `SELECT count(*) FROM outbox WHERE to_email = 'admin@harbor.test' AND text_body LIKE '%kim@harbor.test%'`); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Errorf("%d mails to Harbor's admin naming Kim, want 1", mails)
	}

	admin.post("/sso/sync", nil)
	if got := text(admin.get("/sso"), "[data-testid=flash]"); !strings.Contains(got, "less than a minute ago") {
		t.Errorf("a second sync at once: flash %q", got)
	}

	dev := w.portal.browser(t)
	dev.signIn("dev@harbor.test", demo.Password)
	if pg := dev.post("/sso/sync", nil); pg.status != http.StatusForbidden {
		t.Errorf("a developer's POST /sso/sync: %d, want 403", pg.status)
	}
	if pg := dev.get("/sso"); pg.doc.Find("[data-testid=sso-sync-now]").Length() != 0 {
		t.Error("a developer is offered Sync now")
	}
}

// TestSyncNowAPI: POST /api/v1/identity-provider/sync answers the report
// portal.yaml documents, names who lost access, and at once again 429
// with Retry-After.
func TestSyncNowAPI(t *testing.T) {
	t.Parallel()
	w := newSSOWorld(t)
	w.person("kim@harbor.test")
	w.signIn(w.portal.browser(t), "kim@harbor.test")
	w.op.RemoveUser("sub-kim@harbor.test")
	admin := w.portal.browser(t)
	admin.signIn("admin@harbor.test", demo.Password)
	spec := apitest.Portal(t)

	status, _, body := syncAPI(t, admin, spec)
	if status != http.StatusOK {
		t.Fatalf("sync: %d %s", status, body)
	}
	var rep struct {
		People, Checked, Kept int
		Deprovisioned         []struct{ Email, Reason string }
		Unreachable           bool
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.People != 1 || rep.Checked != 1 || len(rep.Deprovisioned) != 1 || rep.Deprovisioned[0].Email != "kim@harbor.test" || rep.Deprovisioned[0].Reason != "refused" {
		t.Errorf("report: %s", body)
	}

	status, header, body := syncAPI(t, admin, spec)
	if status != http.StatusTooManyRequests || header.Get("Retry-After") != "60" {
		t.Errorf("a second sync at once: %d, Retry-After %q: %s", status, header.Get("Retry-After"), body)
	}
}

// syncAPI posts to the sync operation with b's session and checks the
// exchange against portal.yaml.
func syncAPI(t *testing.T, b *browser, spec interface {
	Check(ctx context.Context, req *http.Request, reqBody []byte, status int, header http.Header, body []byte) error
}) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/api/v1/identity-provider/sync", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Check(context.Background(), req, nil, resp.StatusCode, resp.Header, body); err != nil {
		t.Errorf("OpenAPI contract: %v", err)
	}
	return resp.StatusCode, resp.Header, body
}
