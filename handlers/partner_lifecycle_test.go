package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// newListeningPortal is a seeded portal (people and catalog) whose
// gateway caches verifications as in production (a minute) and forgets
// them on the database's notifications only: a credential refused right
// after a change proves the notification reached the cache.
func newListeningPortal(t *testing.T) *portal {
	t.Helper()
	dsn := pgtest.URL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	v := credential.NewVerifier(st, token.NewHasher(testConfig().Secret))
	lctx, cancel := context.WithCancel(ctx)
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if err := v.Listen(lctx, dsn, slog.New(slog.NewTextHandler(io.Discard, nil)), ready); err != nil && lctx.Err() == nil {
			t.Errorf("listen: %v", err)
			close(ready)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	app := handlers.New(testConfig(), handlers.Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DB: db,
		Outbox: mail.NewOutbox(st), Mailer: noKick{}, Verifier: v})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	return &portal{srv: srv, store: st}
}

// statusWithBearer is the status of GET path with a bearer credential.
func (p *portal) statusWithBearer(t *testing.T, path, credential string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, p.srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+credential)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// refusedWithin waits up to limit for the credential to be refused (the
// caches forget it when the commit's notification arrives) and returns
// how long it took; the test fails past limit.
func (p *portal) refusedWithin(t *testing.T, what, path, credential string, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		code := p.statusWithBearer(t, path, credential)
		if code == http.StatusUnauthorized {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Errorf("%s still answers %d %s after the partnership ended", what, code, time.Since(start))
			return time.Since(start)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clientAccessToken gets an OAuth access token for the client at the token
// endpoint.
func (p *portal) clientAccessToken(t *testing.T, clientID, secret string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.srv.URL+"/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.AccessToken
}

// TestEndingAPartnershipRemovesEveryAccess: after staff confirm, every
// kind of access of the partner is refused right after — a personal
// access token and an OAuth client's access token at the gateway (with
// caching verifiers), a signed-in session on its next request, an
// invitation link, a password — while its audit rows and usage stay; the
// confirmation listed the real numbers, the admins are mailed, and the
// ended partner can be viewed but never reactivated.
func TestEndingAPartnershipRemovesEveryAccess(t *testing.T) {
	t.Parallel()
	p := newListeningPortal(t)
	ctx := context.Background()
	harbor := p.partnerID(t, "harbor-logistics")
	crane := p.partnerID(t, "crane-works")
	page := "/partners/" + strconv.FormatInt(harbor, 10)
	p.joinIntegrations(t, "admin@harbor.test")
	pats := pat.New(p.store, token.NewHasher(testConfig().Secret), mail.NewOutbox(p.store), "http://portal.test")
	actor := func(email string) access.Actor {
		u, err := p.store.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID}
	}
	pt, err := pats.Create(ctx, actor("dev@harbor.test"), pat.Input{Name: "nightly", Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read"}})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := pats.CreateClient(ctx, actor("admin@harbor.test"), pat.ClientInput{Input: pat.Input{Name: "billing", Environment: "sandbox", Days: 30,
		Scopes: []string{"fleet/fleet:read"}}})
	if err != nil {
		t.Fatal(err)
	}
	code, at := p.clientAccessToken(t, cl.ClientID, cl.Secret)
	if code != http.StatusOK || at == "" {
		t.Fatalf("token endpoint = %d", code)
	}
	// Both work, and are now in the verifier's cache.
	for _, c := range []struct{ what, secret string }{{"the PAT", pt.Plaintext}, {"the access token", at}} {
		if got := p.statusWithBearer(t, "/sandbox/fleet/spreaders", c.secret); got != http.StatusOK {
			t.Fatalf("%s before the end = %d", c.what, got)
		}
	}
	dev := signedInAs(t, p, "dev@harbor.test")
	if res := dev.get("/tokens"); res.status != http.StatusOK {
		t.Fatalf("developer's session before the end: /tokens = %d", res.status)
	}
	harborAdmin := signedInAs(t, p, "admin@harbor.test")
	if res := harborAdmin.post("/members/invitations", url.Values{"email": {"late@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite = %d: %s", res.status, text(res, "main"))
	}
	invitation := p.lastInvitationPath(t, "late@harbor.test")
	reset := p.browser(t)
	reset.post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	var resetBody string
	if err := p.store.DB().Get(&resetBody, `SELECT text_body FROM outbox WHERE to_email = 'dev@harbor.test' AND subject = 'Reset your Portico password'`); err != nil {
		t.Fatalf("no reset mail: %v", err)
	}
	resetPath := resetBody[strings.Index(resetBody, "/reset-password/"):]
	resetPath = resetPath[:strings.IndexAny(resetPath, " \n")]
	if res := reset.get(resetPath); res.status != http.StatusOK || res.doc.Find("input[name=password]").Length() == 0 {
		t.Fatalf("the reset link before the end = %d", res.status)
	}
	p.exec(t, `INSERT INTO api_usage_hours (hour, partner_id, token_id, api, operation, environment, calls, c4xx, c5xx, c401, c403, c429, latency_sum_us,
			b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15, b16)
		SELECT date_trunc('hour', now()) - interval '5 hours', partner_id, id, 'fleet', 'listSpreaders', 'sandbox', 20, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 FROM tokens WHERE name = 'nightly'`)
	p.exec(t, `INSERT INTO sandbox_work_orders (partner_id, id, body, created_at) SELECT id, 'WO-900001', '{}', now() FROM partners WHERE slug = 'harbor-logistics'`)

	kept := func() (auditRows, usageRows, craneTokens int) {
		auditRows = p.count(t, `SELECT count(*) FROM audit_events WHERE partner_id = $1 AND action <> 'partner.end'`, harbor)
		usageRows = p.count(t, `SELECT count(*) FROM api_usage_hours WHERE partner_id = $1`, harbor)
		craneTokens = p.count(t, `SELECT count(*) FROM tokens WHERE partner_id = $1 AND revoked_at IS NULL`, crane)
		return
	}
	auditBefore, usageBefore, craneBefore := kept()
	want := struct{ creds, people, invitations, grants, admins int }{
		p.count(t, `SELECT count(*) FROM tokens WHERE partner_id = $1 AND revoked_at IS NULL AND expires_at > now() AND NOT console`, harbor),
		p.count(t, `SELECT count(*) FROM users WHERE partner_id = $1 AND status = 'active'`, harbor),
		p.count(t, `SELECT count(*) FROM invitations WHERE partner_id = $1 AND accepted_at IS NULL AND cancelled_at IS NULL`, harbor),
		p.count(t, `SELECT count(*) FROM grants WHERE partner_id = $1 AND revoked_at IS NULL`, harbor),
		p.count(t, `SELECT count(*) FROM users WHERE partner_id = $1 AND status = 'active' AND role = 'partner_admin'`, harbor),
	}
	if want.creds < 2 || want.people < 2 || want.invitations < 1 || want.grants < 1 {
		t.Fatalf("the fixture should hold some of everything: %+v", want)
	}

	// The confirmation lists what goes, with Harbor's numbers.
	morgan := signedInAs(t, p, "am@portico.test")
	if res := morgan.get(page); res.doc.Find("[data-testid=end-partnership]").AttrOr("href", "") != page+"/end" {
		t.Fatalf("the partner page offers no End partnership link")
	}
	confirm := morgan.get(page + "/end")
	if confirm.status != http.StatusOK || confirm.doc.Find("[data-testid=confirm-end-partner]").Length() != 1 {
		t.Fatalf("GET %s/end = %d", page, confirm.status)
	}
	var effects []string
	for _, li := range confirm.doc.Find("[data-testid=end-effects] li").EachIter() {
		effects = append(effects, strings.TrimSpace(li.Text()))
	}
	for _, w := range []string{
		strconv.Itoa(want.creds) + " credentials (tokens and OAuth clients) revoked, with 1 OAuth access token issued to them",
		strconv.Itoa(want.people) + " people signed out (",
		strconv.Itoa(want.invitations) + " open invitation",
		strconv.Itoa(want.grants) + " grant",
		"sandbox data removed (1 work order)",
		strconv.Itoa(want.admins) + " partner admin",
		"cannot be reactivated",
	} {
		if !strings.Contains(strings.Join(effects, "\n"), w) {
			t.Errorf("the confirmation does not say %q:\n%s", w, strings.Join(effects, "\n"))
		}
	}
	if kept := text(confirm, "[data-testid=end-kept]"); !strings.Contains(kept, "audit trail") || !strings.Contains(kept, "days") {
		t.Errorf("the confirmation says of what stays: %q", kept)
	}

	res := morgan.post(page+"/end", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != page {
		t.Fatalf("POST %s/end = %d to %q", page, res.status, res.header.Get("Location"))
	}
	ended := time.Now()

	// Every kind of access is refused right after.
	tookPAT := p.refusedWithin(t, "the PAT", "/sandbox/fleet/spreaders", pt.Plaintext, 2*time.Second)
	tookAT := p.refusedWithin(t, "the OAuth access token", "/sandbox/fleet/spreaders", at, 2*time.Second)
	t.Logf("refused %s (PAT) and %s (access token) after the end's response; %s since", tookPAT, tookAT, time.Since(ended))
	if code, _ := p.clientAccessToken(t, cl.ClientID, cl.Secret); code == http.StatusOK {
		t.Error("the OAuth client still gets access tokens")
	}
	if res := dev.get("/tokens"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/sign-in") {
		t.Errorf("the developer's session on its next request: %d to %q, want signed out", res.status, res.header.Get("Location"))
	}
	if res := dev.get(invitation); res.status != http.StatusGone || !strings.Contains(text(res, "main"), "has ended") {
		t.Errorf("the invitation link = %d: %q", res.status, text(res, "main"))
	}
	if res := p.browser(t).signIn("admin@harbor.test", demo.Password); res.status == http.StatusSeeOther {
		t.Error("Harbor's admin can still sign in")
	}
	// A password reset link asked for before the end no longer works, and
	// none is sent after it.
	if res := reset.get(resetPath); res.status == http.StatusOK && res.doc.Find("input[name=password]").Length() > 0 {
		t.Errorf("the reset link asked for before the end still offers a new password")
	}
	p.browser(t).post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	if n := p.mailCount(t, "dev@harbor.test", "Reset your Portico password"); n != 1 {
		t.Errorf("%d reset mails to Harbor's developer, want only the one asked for before the end", n)
	}

	// Audit and usage stay; another partner is untouched.
	auditAfter, usageAfter, craneAfter := kept()
	if auditAfter < auditBefore || usageAfter != usageBefore || craneAfter != craneBefore {
		t.Errorf("audit rows %d -> %d, usage rows %d -> %d, Crane's open tokens %d -> %d", auditBefore, auditAfter, usageBefore, usageAfter, craneBefore, craneAfter)
	}
	var details string
	if err := p.store.DB().Get(&details, `SELECT details::text FROM audit_events WHERE action = 'partner.end' AND partner_id = $1`, harbor); err != nil {
		t.Fatalf("no partner.end event: %v", err)
	}
	var got map[string]any
	_ = json.Unmarshal([]byte(details), &got)
	for k, v := range map[string]int{"credentials_revoked": want.creds, "access_tokens_revoked": 1, "people_closed": want.people,
		"invitations_cancelled": want.invitations, "grants_ended": want.grants, "sandbox_writes_deleted": 1, "admins_mailed": want.admins} {
		if got[k] != float64(v) {
			t.Errorf("partner.end details %s = %v, want %d", k, got[k], v)
		}
	}
	if n := p.count(t, `SELECT count(*) FROM team_memberships tm JOIN teams t ON t.id = tm.team_id WHERE t.partner_id = $1`, harbor); n != 0 {
		t.Errorf("%d team memberships left", n)
	}
	if n := p.count(t, `SELECT count(*) FROM audit_events WHERE action = 'grant.revoke' AND partner_id = $1`, harbor); n != want.grants {
		t.Errorf("%d grant.revoke events, want one per grant (%d)", n, want.grants)
	}
	if n := p.mailCount(t, "admin@harbor.test", "The partnership of Harbor Logistics has ended"); n != 1 {
		t.Errorf("%d end mails to Harbor's admin, want 1", n)
	}

	// Viewed, not reactivated.
	view := morgan.get(page)
	if got := text(view, "[data-testid=ended-on]"); got != "Ended on "+time.Now().UTC().Format("2 Jan 2006")+" by Morgan Account" {
		t.Errorf("ended partner's page says %q", got)
	}
	if got := text(view, "[data-testid=partner-status]"); got != "Ended" {
		t.Errorf("status badge = %q", got)
	}
	if got := text(view, "[data-testid=no-credentials]"); got != "Its credentials were revoked when the partnership ended." {
		t.Errorf("ended partner's credentials say %q", got)
	}
	for _, sel := range []string{"[data-testid=suspend]", "[data-testid=reactivate]", "[data-testid=end-partnership]", "[data-testid=end-date-form]", "[data-testid=partner-settings]"} {
		if view.doc.Find(sel).Length() != 0 {
			t.Errorf("an ended partner's page offers %s", sel)
		}
	}
	if res := morgan.post(page+"/status", url.Values{"status": {"active"}}); res.status != http.StatusBadRequest ||
		!strings.Contains(text(res, "main"), "cannot be reactivated") {
		t.Errorf("reactivate an ended partner = %d: %q", res.status, text(res, "main"))
	}
	for _, path := range []string{page + "/suspend", page + "/end"} {
		if res := morgan.get(path); res.status != http.StatusSeeOther || res.header.Get("Location") == path {
			t.Errorf("GET %s of an ended partner = %d to %q, want back to a page", path, res.status, res.header.Get("Location"))
		}
	}
	if res := morgan.post(page+"/end", nil); res.status != http.StatusSeeOther {
		t.Errorf("ending it again = %d", res.status)
	}
	if n := p.count(t, `SELECT count(*) FROM audit_events WHERE action = 'partner.end'`); n != 1 {
		t.Errorf("%d partner.end events after ending twice, want 1", n)
	}
	if st := p.count(t, `SELECT count(*) FROM partners WHERE id = $1 AND status = 'ended'`, harbor); st != 1 {
		t.Error("Harbor is no longer ended")
	}
	dir := morgan.get("/partners?status=ended")
	if dir.status != http.StatusOK || !cmp.Equal(partnerSlugs(dir), []string{"harbor-logistics-ended-" + strconv.FormatInt(harbor, 10)}) {
		t.Errorf("directory of ended partners = %d %v", dir.status, partnerSlugs(dir))
	}
	// Its people's addresses are free: a new partner can invite them.
	admin := signedInAs(t, p, "admin@portico.test")
	if res := admin.post("/partners", url.Values{"name": {"Harbor Logistics 2"}, "admin_email": {"admin@harbor.test"}}); res.status != http.StatusSeeOther {
		t.Errorf("a new partner for Harbor's old admin = %d: %s", res.status, text(res, "main"))
	}
}

// TestEndPagesOfAnUnassignedAccountManager: the end's confirmation, the
// end itself and the scheduled end answer 404 to an account manager of
// other partners, and change nothing.
func TestEndPagesOfAnUnassignedAccountManager(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.addStaffAM(t, "kim@portico.test", "Kim Keeper")
	harbor := p.partnerID(t, "harbor-logistics")
	path := "/partners/" + strconv.FormatInt(harbor, 10)
	kim := signedInAs(t, p, "kim@portico.test")
	for _, res := range []page{
		kim.get(path + "/end"),
		kim.post(path+"/end", nil),
		kim.post(path+"/end-date", url.Values{"end_on": {time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)}}),
		kim.post(path+"/end-date", url.Values{"cancel": {"1"}}),
	} {
		if res.status != http.StatusNotFound {
			t.Errorf("Kim on Harbor's end pages = %d, want 404", res.status)
		}
	}
	dev := signedInAs(t, p, "admin@harbor.test")
	if res := dev.get(path + "/end"); res.status != http.StatusNotFound && res.status != http.StatusForbidden {
		t.Errorf("a partner admin on the end page = %d", res.status)
	}
	if n := p.count(t, `SELECT count(*) FROM partners WHERE id = $1 AND status = 'active' AND end_on IS NULL`, harbor); n != 1 {
		t.Error("refused requests changed Harbor")
	}
}

// TestScheduledEndDates: staff set, move and cancel the day a partnership
// ends, each audited; a day that is not one, today or before, or more than
// five years ahead is refused with a message on the page, the entry kept.
func TestScheduledEndDates(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	harbor := p.partnerID(t, "harbor-logistics")
	page := "/partners/" + strconv.FormatInt(harbor, 10)
	morgan := signedInAs(t, p, "am@portico.test")
	today := time.Now().UTC()
	for _, tc := range []struct{ in, want string }{
		{"", "Choose the day the partnership ends."},
		{"next tuesday", "Enter the day as a date, like 2027-03-31."},
		{"2026-02-30", "Enter the day as a date, like 2027-03-31."},
		{today.Format(time.DateOnly), "Choose a day after today"},
		{today.AddDate(0, 0, -3).Format(time.DateOnly), "Choose a day after today"},
		{today.AddDate(5, 0, 2).Format(time.DateOnly), "Choose a day within 5 years"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			res := morgan.post(page+"/end-date", url.Values{"end_on": {tc.in}})
			if res.status != http.StatusUnprocessableEntity || !strings.HasPrefix(text(res, "[data-testid=end-date-error]"), tc.want) {
				t.Errorf("end_on %q = %d %q, want 422 %q", tc.in, res.status, text(res, "[data-testid=end-date-error]"), tc.want)
			}
			if got := res.doc.Find("#partner-end-on").AttrOr("value", ""); got != tc.in {
				t.Errorf("the refused form shows %q, want the entry %q", got, tc.in)
			}
		})
	}
	day := today.AddDate(0, 2, 0)
	if res := morgan.post(page+"/end-date", url.Values{"end_on": {day.Format(time.DateOnly)}}); res.status != http.StatusSeeOther {
		t.Fatalf("schedule = %d: %s", res.status, text(res, "main"))
	}
	view := morgan.get(page)
	if got := text(view, "[data-testid=ends-on]"); got != day.Format("Monday 2 January 2006") {
		t.Errorf("the page shows the scheduled end %q", got)
	}
	if view.doc.Find("[data-testid=cancel-end-date]").Length() != 1 {
		t.Error("no way to cancel the scheduled end")
	}
	moved := day.AddDate(0, 0, 10)
	morgan.post(page+"/end-date", url.Values{"end_on": {moved.Format(time.DateOnly)}})
	morgan.post(page+"/end-date", url.Values{"cancel": {"1"}})
	if n := p.count(t, `SELECT count(*) FROM partners WHERE id = $1 AND end_on IS NULL`, harbor); n != 1 {
		t.Error("the cancelled end is still set")
	}
	var events []string
	if err := p.store.DB().Select(&events, `SELECT action || ' ' || details::text FROM audit_events WHERE action LIKE 'partner.end%' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	wantEvents := []string{
		`partner.end_schedule {"to": "` + day.Format(time.DateOnly) + `"}`,
		`partner.end_schedule {"to": "` + moved.Format(time.DateOnly) + `", "from": "` + day.Format(time.DateOnly) + `"}`,
		`partner.end_unschedule {"was": "` + moved.Format(time.DateOnly) + `"}`,
	}
	if d := cmp.Diff(wantEvents, events); d != "" {
		t.Errorf("audit events (-want +got):\n%s", d)
	}
}
