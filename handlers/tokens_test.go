package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/token"
)

// tokenForm is the new-token form as a browser sends it.
func tokenForm(name, env, days string, scopes ...string) url.Values {
	return url.Values{"name": {name}, "environment": {env}, "days": {days}, "scope": scopes}
}

// html is the page's markup, to look for strings that must not be there.
func html(t *testing.T, pg page) string {
	t.Helper()
	s, err := pg.doc.Html()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// secretOf returns the plaintext a token page shows, checking that the
// page may not be cached.
func secretOf(t *testing.T, pg page) string {
	t.Helper()
	if pg.status != http.StatusOK {
		t.Fatalf("token page = %d: %s", pg.status, text(pg, "main"))
	}
	if cc := pg.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control of the page with the secret = %q, want no-store", cc)
	}
	return pg.doc.Find("pre > code[data-testid=token-plaintext]").Text()
}

// createToken creates a token as b and returns its plaintext and id.
func createToken(t *testing.T, b *browser, form url.Values) (string, int64) {
	t.Helper()
	plain := secretOf(t, b.post("/tokens", form))
	if _, err := token.Parse(plain); err != nil {
		t.Fatalf("created token %q does not parse: %v", plain, err)
	}
	return plain, tokenID(t, b.get("/tokens"), token.Hint(plain))
}

// tokenID finds the row of the token with this hint in a list.
func tokenID(t *testing.T, pg page, hint string) int64 {
	t.Helper()
	for _, row := range pg.doc.Find("[data-testid=token]").EachIter() {
		if strings.TrimSpace(row.Find("[data-testid=token-hint]").Text()) == hint {
			id, _ := strconv.ParseInt(row.AttrOr("data-id", ""), 10, 64)
			return id
		}
	}
	t.Fatalf("no token %s in the list", hint)
	return 0
}

// rowStatus is the status shown for the token with this id.
func rowStatus(pg page, id int64) string {
	return text(pg, "[data-testid=token][data-id='"+itoa(id)+"'] [data-testid=token-status]")
}

func (p *portal) tokenCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM tokens`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateSandboxTokenIsShownOnce(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	b := signedInAs(t, p, "dev@harbor.test")

	list := b.get("/tokens")
	if list.status != http.StatusOK || list.doc.Find("[data-testid=no-tokens] a[href='/tokens/new']").Length() != 1 {
		t.Fatalf("empty token list = %d without a link to create one", list.status)
	}
	if list.doc.Find("[data-testid=nav] a[href='/tokens']").Length() != 1 {
		t.Error("a developer's navigation lacks Tokens")
	}
	form := b.get("/tokens/new")
	wantScopes := []string{"fleet/fleet:read", "maintenance/maintenance:read", "maintenance/maintenance:write", "telemetry/telemetry:read"}
	if diff := cmp.Diff(wantScopes, sorted(attrs(form, "[data-testid=scope-api]:not([data-slug=portal]) input[name=scope]", "value"))); diff != "" {
		t.Errorf("offered API scopes (-want +got):\n%s", diff)
	}
	if got := text(form, "[data-testid=scope-api][data-slug=fleet] [data-testid=granted-by]"); !strings.Contains(got, "Port operations") {
		t.Errorf("fleet scopes granted by %q, want the access group named", got)
	}
	if got := form.doc.Find("select[name=days] option[selected]").AttrOr("value", ""); got != "90" {
		t.Errorf("preselected lifetime = %q, want 90", got)
	}
	if form.doc.Find("[data-testid=scope-api][data-slug=portal] input[value='portal:tokens:read']").Length() != 1 {
		t.Error("the management API's scopes are not offered")
	}

	res := b.post("/tokens", tokenForm("CI deploy", "sandbox", "30", "fleet/fleet:read", "maintenance/maintenance:write"))
	plain := secretOf(t, res)
	parsed, err := token.Parse(plain)
	if err != nil || parsed.Kind != token.KindSandbox {
		t.Fatalf("shown token %q does not parse as a sandbox token: %v", plain, err)
	}
	if got := text(res, "[data-testid=token-usage]"); !strings.Contains(got, "Authorization: Bearer") || !strings.Contains(got, "http://portal.test/sandbox/fleet/spreaders") {
		t.Errorf("usage example = %q", got)
	}
	if res.doc.Find("[data-testid=copy-token]").Length() != 1 || res.doc.Find("script[src*='/static/js/tokens.']").Length() != 1 {
		t.Error("no copy button with its script")
	}
	if n := res.doc.Find("script:not([src])").Length(); n != 0 {
		t.Errorf("%d inline scripts", n)
	}

	body := plain[len("ptc_sbx_"):]
	list = b.get("/tokens")
	if s := html(t, list); strings.Contains(s, body) || strings.Contains(s, body[:16]) {
		t.Fatal("the token list shows the secret again")
	}
	id := tokenID(t, list, token.Hint(plain))
	row := "[data-testid=token][data-id='" + itoa(id) + "'] "
	if got := []string{text(list, row+"[data-testid=token-name]"), text(list, row+"[data-testid=token-environment]"), rowStatus(list, id), text(list, row+"[data-testid=token-last-used]")}; !cmp.Equal(got, []string{"CI deploy", "sandbox", "active", "never"}) {
		t.Errorf("row = %q", got)
	}
	if got := text(list, row+"[data-testid=token-scopes]"); !strings.Contains(got, "Fleet") || !strings.Contains(got, "maintenance:write") {
		t.Errorf("scopes shown = %q", got)
	}

	// Only the hash is stored: not in the token row, the audit trail, the
	// outbox or the session.
	var dump string
	if err := p.store.DB().Get(&dump, `
		SELECT concat_ws(' ', (SELECT string_agg(t::text, ' ') FROM tokens t),
		                      (SELECT string_agg(a::text, ' ') FROM audit_events a),
		                      (SELECT string_agg(o::text, ' ') FROM outbox o),
		                      (SELECT string_agg(s::text, ' ') FROM sessions s))`); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump, body) || strings.Contains(dump, body[:16]) {
		t.Error("the plaintext is stored in the database")
	}
	var sessions [][]byte
	if err := p.store.DB().Select(&sessions, `SELECT data FROM sessions`); err != nil {
		t.Fatal(err)
	}
	for _, s := range sessions {
		if bytes.Contains(s, []byte(body[:16])) {
			t.Error("the plaintext is in a session")
		}
	}
	if !strings.Contains(dump, token.Hint(plain)) {
		t.Error("the audit trail does not name the token by its hint")
	}
}

func TestLiveTokenAsksForThePasswordAgain(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	b := signedInAs(t, p, "dev@harbor.test")
	expireSudo(t, p)

	billing := tokenForm("Billing", "live", "30", "fleet/fleet:read")
	billing.Set("rate_limit", "90")
	res := b.post("/tokens", billing)
	loc, _ := url.Parse(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || loc.Path != "/confirm-password" {
		t.Fatalf("live token without a recent password = %d to %q, want the password prompt", res.status, res.header.Get("Location"))
	}
	if n := p.tokenCount(t); n != 0 {
		t.Fatalf("%d tokens created before the password was confirmed", n)
	}
	next := loc.Query().Get("next")
	if res := b.post("/confirm-password", url.Values{"password": {demo.Password}, "next": {next}}); res.header.Get("Location") != next {
		t.Fatalf("confirm = %d to %q, want %q", res.status, res.header.Get("Location"), next)
	}
	form := b.get(next)
	if got := form.doc.Find("input[name=name]").AttrOr("value", ""); got != "Billing" {
		t.Errorf("name after the prompt = %q, want it kept", got)
	}
	if form.doc.Find("input[name=environment][value=live][checked]").Length() != 1 ||
		form.doc.Find("input[name=scope][value='fleet/fleet:read'][checked]").Length() != 1 ||
		form.doc.Find("select[name=days] option[value='30'][selected]").Length() != 1 ||
		form.doc.Find("input[name=rate_limit]").AttrOr("value", "") != "90" {
		t.Error("environment, scope, lifetime or rate limit not kept through the password prompt")
	}
	plain := secretOf(t, b.post("/tokens", tokenForm("Billing", "live", "30", "fleet/fleet:read")))
	if parsed, err := token.Parse(plain); err != nil || parsed.Kind != token.KindLive {
		t.Fatalf("live token %q: %v", plain, err)
	}
}

func TestCreateTokenRefusalsKeepTheInput(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	b := signedInAs(t, p, "dev@crane.test") // granted Fleet basics: fleet:read

	res := b.post("/tokens", tokenForm("  ", "sandbox", "30", "fleet/fleet:read"))
	if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=name-error]") == "" {
		t.Errorf("no name = %d, name error %q", res.status, text(res, "[data-testid=name-error]"))
	}
	if res.doc.Find("input[name=scope][value='fleet/fleet:read'][checked]").Length() != 1 ||
		res.doc.Find("select[name=days] option[value='30'][selected]").Length() != 1 {
		t.Error("scope or lifetime not kept after a refusal")
	}

	res = b.post("/tokens", tokenForm("Yard robot", "sandbox", "90", "maintenance/maintenance:read"))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=scopes-error]"), "maintenance/maintenance:read") {
		t.Errorf("ungranted scope = %d, scopes error %q", res.status, text(res, "[data-testid=scopes-error]"))
	}
	if got := res.doc.Find("input[name=name]").AttrOr("value", ""); got != "Yard robot" {
		t.Errorf("name after a refusal = %q, want it kept", got)
	}
	if res.doc.Find("[data-testid=token-plaintext]").Length() != 0 {
		t.Error("a refusal shows a token")
	}
	if res := b.post("/tokens", tokenForm("Sandbox admin", "sandbox", "90", "portal:tokens:read")); res.status != http.StatusUnprocessableEntity {
		t.Errorf("portal scope on a sandbox token = %d, want 422", res.status)
	}
	if n := p.tokenCount(t); n != 0 {
		t.Errorf("refusals stored %d tokens", n)
	}
}

func TestRevokeRegenerateAndRename(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	b := signedInAs(t, p, "dev@harbor.test")
	old, id := createToken(t, b, tokenForm("Laptop", "sandbox", "7", "fleet/fleet:read"))
	if got := text(b.get("/tokens"), "[data-testid=token][data-id='"+itoa(id)+"'] [data-testid=expires-soon]"); got == "" {
		t.Error("a token that expires within 7 days has no warning")
	}

	// Rename.
	if res := b.post("/tokens/"+itoa(id)+"/rename", url.Values{"name": {"Work laptop"}}); res.status != http.StatusSeeOther {
		t.Fatalf("rename = %d", res.status)
	}
	if got := text(b.get("/tokens"), "[data-testid=token][data-id='"+itoa(id)+"'] [data-testid=token-name]"); got != "Work laptop" {
		t.Errorf("name after rename = %q", got)
	}
	b.post("/tokens/"+itoa(id)+"/rename", url.Values{"name": {" "}})
	if got := text(b.get("/tokens"), "[data-testid=flash]"); !strings.Contains(got, "not renamed") {
		t.Errorf("flash after an empty name = %q", got)
	}

	// Regenerate with a grace period: a new secret, shown once.
	form := b.get("/tokens/" + itoa(id) + "/regenerate")
	if diff := cmp.Diff([]string{"0", "1h", "6h", "24h"}, attrs(form, "select[name=grace] option", "value")); diff != "" {
		t.Errorf("grace periods (-want +got):\n%s", diff)
	}
	if res := b.post("/tokens/"+itoa(id)+"/regenerate", url.Values{"grace": {"7d"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("grace of 7 days = %d, want 422", res.status)
	}
	res := b.post("/tokens/"+itoa(id)+"/regenerate", url.Values{"grace": {"1h"}})
	fresh := secretOf(t, res)
	if _, err := token.Parse(fresh); err != nil || fresh == old {
		t.Fatalf("regenerated token %q (old %q): %v", fresh, old, err)
	}
	if text(res, "[data-testid=grace-until]") == "" || !strings.Contains(text(res, "h1"), "regenerated") {
		t.Error("the regenerated page does not say how long the old secret works")
	}
	list := b.get("/tokens")
	if tokenID(t, list, token.Hint(fresh)) != id || strings.Contains(html(t, list), fresh[8:]) {
		t.Error("the list does not show the same token under its new hint, or shows the secret")
	}

	// Revoke through the confirmation page.
	confirm := b.get("/tokens/" + itoa(id) + "/revoke")
	action := confirm.doc.Find("[data-testid=confirm-revoke] form").AttrOr("action", "")
	if confirm.status != http.StatusOK || action != "/tokens/"+itoa(id)+"/revoke" {
		t.Fatalf("confirm page = %d posting to %q", confirm.status, action)
	}
	if res := b.post(action, nil); res.status != http.StatusSeeOther || res.header.Get("Location") != "/tokens" {
		t.Fatalf("revoke = %d to %q", res.status, res.header.Get("Location"))
	}
	// It leaves the open tokens (the default list) for the revoked ones.
	if rowStatus(b.get("/tokens"), id) != "" {
		t.Error("a revoked token is still under open tokens")
	}
	list = b.get("/tokens?status=revoked")
	if got := rowStatus(list, id); got != "revoked" {
		t.Errorf("status after revoke = %q", got)
	}
	row := list.doc.Find("[data-testid=token][data-id='" + itoa(id) + "']")
	if !row.HasClass("token-closed") || row.Find("[data-testid=revoke-token], [data-testid=regenerate-token]").Length() != 0 {
		t.Error("a revoked token is not greyed or still offers actions")
	}
	if res := b.post("/tokens/"+itoa(id)+"/regenerate", url.Values{"grace": {"0"}}); res.status != http.StatusSeeOther || res.doc.Find("[data-testid=token-plaintext]").Length() != 0 {
		t.Errorf("regenerating a revoked token = %d", res.status)
	}

	// Expired tokens stay listed, greyed, under expired and all.
	_, gone := createToken(t, b, tokenForm("Old job", "sandbox", "7", "fleet/fleet:read"))
	if _, err := p.store.DB().Exec(`UPDATE tokens SET expires_at = now() - interval '1 hour' WHERE id = $1`, gone); err != nil {
		t.Fatal(err)
	}
	if rowStatus(b.get("/tokens"), gone) != "" {
		t.Error("an expired token is still under open tokens")
	}
	for _, path := range []string{"/tokens?status=expired", "/tokens?status=all"} {
		list = b.get(path)
		row = list.doc.Find("[data-testid=token][data-id='" + itoa(gone) + "']")
		if rowStatus(list, gone) != "expired" || !row.HasClass("token-closed") || row.Find("[data-testid=token-expired]").Length() != 1 {
			t.Errorf("%s: expired token: status %q, greyed %v", path, rowStatus(list, gone), row.HasClass("token-closed"))
		}
	}
}

// rateLimitOf is the own rate limit a token's row shows, "" for none.
func rateLimitOf(pg page, id int64) string {
	return pg.doc.Find("[data-testid=token][data-id='"+itoa(id)+"'] [data-testid=token-rate-limit]").AttrOr("data-limit", "")
}

func TestTokenRateLimitPages(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	b := signedInAs(t, p, "dev@harbor.test")

	form := b.get("/tokens/new")
	in := form.doc.Find("input[name=rate_limit]")
	if in.Length() != 1 || in.AttrOr("type", "") != "number" || in.AttrOr("value", "x") != "" || text(form, "[data-testid=rate-limit-help]") == "" {
		t.Fatalf("the form lacks an empty, optional rate limit with its hint")
	}
	if _, required := in.Attr("required"); required {
		t.Error("the rate limit is required")
	}

	// Kept on a refusal of another field, and refused itself with its message.
	f := tokenForm(" ", "sandbox", "30", "fleet/fleet:read")
	f.Set("rate_limit", "120")
	res := b.post("/tokens", f)
	if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=name-error]") == "" ||
		res.doc.Find("input[name=rate_limit]").AttrOr("value", "") != "120" {
		t.Errorf("refused name = %d, rate limit %q: want 422 with 120 kept", res.status, res.doc.Find("input[name=rate_limit]").AttrOr("value", ""))
	}
	for _, bad := range []string{"0", "-3", "100001", "fast"} {
		f = tokenForm("Capped", "sandbox", "30", "fleet/fleet:read")
		f.Set("rate_limit", bad)
		res = b.post("/tokens", f)
		if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=rate-limit-error]") == "" ||
			res.doc.Find("input[name=rate_limit]").AttrOr("value", "") != bad || res.doc.Find("input[name=name]").AttrOr("value", "") != "Capped" {
			t.Errorf("rate limit %q = %d, error %q", bad, res.status, text(res, "[data-testid=rate-limit-error]"))
		}
	}
	if n := p.tokenCount(t); n != 0 {
		t.Fatalf("refusals stored %d tokens", n)
	}

	// Created with it: the secret page and the list say so.
	f = tokenForm("Capped", "sandbox", "30", "fleet/fleet:read")
	f.Set("rate_limit", "120")
	res = b.post("/tokens", f)
	plain := secretOf(t, res)
	if got := text(res, "[data-testid=token-rate-limit]"); !strings.Contains(got, "120 requests per minute") {
		t.Errorf("secret page rate limit = %q", got)
	}
	list := b.get("/tokens")
	id := tokenID(t, list, token.Hint(plain))
	if got := rateLimitOf(list, id); got != "120" {
		t.Errorf("listed rate limit = %q, want 120", got)
	}
	_, plainID := createToken(t, b, tokenForm("Plain", "sandbox", "30", "fleet/fleet:read"))
	if got := rateLimitOf(b.get("/tokens"), plainID); got != "" {
		t.Errorf("a token without a limit shows %q", got)
	}

	// Changed and cleared from the list row's form.
	action := list.doc.Find("[data-testid=token][data-id='"+itoa(id)+"'] [data-testid=rate-limit-form]").AttrOr("action", "")
	if action != "/tokens/"+itoa(id)+"/rate-limit" {
		t.Fatalf("the row's rate limit form posts to %q", action)
	}
	if res := b.post(action, url.Values{"rate_limit": {"30"}}); res.status != http.StatusSeeOther {
		t.Fatalf("set = %d", res.status)
	}
	list = b.get("/tokens")
	if got := rateLimitOf(list, id); got != "30" || !strings.Contains(text(list, "[data-testid=flash]"), "30 requests per minute") {
		t.Errorf("after setting 30: listed %q, flash %q", got, text(list, "[data-testid=flash]"))
	}
	if got := list.doc.Find("#rate-limit-"+itoa(id)).AttrOr("value", ""); got != "30" {
		t.Errorf("the row's form shows %q, want 30", got)
	}
	b.post(action, url.Values{"rate_limit": {"0"}})
	list = b.get("/tokens")
	if got := rateLimitOf(list, id); got != "30" || !strings.Contains(text(list, "[data-testid=flash]"), "not changed") {
		t.Errorf("after a refused 0: listed %q, flash %q", got, text(list, "[data-testid=flash]"))
	}
	b.post(action, url.Values{"rate_limit": {""}})
	list = b.get("/tokens")
	if got := rateLimitOf(list, id); got != "" || !strings.Contains(text(list, "[data-testid=flash]"), "no rate limit of its own") {
		t.Errorf("after clearing: listed %q, flash %q", got, text(list, "[data-testid=flash]"))
	}

	// Only the owner sets it: the partner admin sees the token but may not,
	// another partner does not see it at all.
	if res := signedInAs(t, p, "admin@harbor.test").post(action, url.Values{"rate_limit": {"5"}}); res.status != http.StatusForbidden {
		t.Errorf("partner admin sets it = %d, want 403", res.status)
	}
	if res := signedInAs(t, p, "dev@crane.test").post(action, url.Values{"rate_limit": {"5"}}); res.status != http.StatusNotFound {
		t.Errorf("another partner sets it = %d, want 404", res.status)
	}
	if got, _ := p.store.TokenByID(context.Background(), id); got.RateLimitPerMinute != nil {
		t.Errorf("refused changes stored %d", *got.RateLimitPerMinute)
	}
}
