package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/token"
)

// TestReportTokenForm: anyone, signed out, can report a found token. The
// answer is the same page for a working token, a string that merely looks
// like one, and one already revoked; the working token is revoked and its
// owner mailed; reports are limited per address.
func TestReportTokenForm(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	ctx := context.Background()
	dev, err := p.store.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	pats := pat.New(p.store, token.NewHasher(testConfig().Secret), mail.NewOutbox(p.store), "http://portal.test")
	c, err := pats.Create(ctx, access.Actor{UserID: dev.ID, Role: dev.Role, PartnerID: *dev.PartnerID},
		pat.Input{Name: "pasted in a gist", Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read"}})
	if err != nil {
		t.Fatal(err)
	}
	b := p.browser(t)
	form := b.get("/security/report-token")
	if form.status != http.StatusOK || form.doc.Find("[data-testid=report-token-form] textarea[name=token]").Length() != 1 {
		t.Fatalf("form = %d", form.status)
	}
	answer := func(tok string) string {
		t.Helper()
		res := b.post("/security/report-token", url.Values{"token": {tok}, "where": {"https://gist.example/abc"}})
		if res.status != http.StatusOK || res.doc.Find("[data-testid=report-sent]").Length() != 1 {
			t.Fatalf("report = %d", res.status)
		}
		html, _ := res.doc.Find("main").Html()
		if strings.Contains(html, tok) {
			t.Error("the answer shows the reported string")
		}
		return html
	}
	looksLike := "ptc_sbx_" + strings.Repeat("7", 49)
	first, revokedAgain, lookalike := answer(c.Plaintext), answer(c.Plaintext), answer(looksLike)
	if first != lookalike || first != revokedAgain {
		t.Errorf("the answers differ:\nworking token: %s\nlook-alike: %s", first, lookalike)
	}
	got, err := p.store.TokenByID(ctx, c.Token.ID)
	if err != nil || got.RevokedAt == nil {
		t.Fatalf("token not revoked (%v)", err)
	}
	var mails int
	if err := p.store.DB().Get(&mails, `SELECT count(*) FROM outbox WHERE to_email = 'dev@harbor.test'
		AND subject LIKE '%leaked%' AND text_body LIKE '%https://gist.example/abc%'`); err != nil || mails != 1 {
		t.Errorf("owner's leak mails = %d (%v), want 1", mails, err)
	}
	// A reporter who pastes the token where it was found too: it is in no
	// mail, audit event or alert.
	pasted, err := pats.Create(ctx, access.Actor{UserID: dev.ID, Role: dev.Role, PartnerID: *dev.PartnerID},
		pat.Input{Name: "pasted twice", Environment: "sandbox", Days: 30, Scopes: []string{"fleet/fleet:read"}})
	if err != nil {
		t.Fatal(err)
	}
	b.post("/security/report-token", url.Values{"token": {pasted.Plaintext}, "where": {"https://gist.example/raw?key=" + pasted.Plaintext}})
	var leaked int
	if err := p.store.DB().Get(&leaked, `SELECT (SELECT count(*) FROM outbox WHERE text_body LIKE '%' || $1 || '%')
		+ (SELECT count(*) FROM audit_events WHERE details::text LIKE '%' || $1 || '%')
		+ (SELECT count(*) FROM alerts WHERE message LIKE '%' || $1 || '%')`, pasted.Plaintext); err != nil || leaked != 0 {
		t.Errorf("the pasted secret is stored in %d places (%v)", leaked, err)
	}
	// Empty and oversized input is refused before anything is counted.
	for _, tok := range []string{"", strings.Repeat("x", 301)} {
		if res := b.post("/security/report-token", url.Values{"token": {tok}}); res.status != http.StatusUnprocessableEntity ||
			res.doc.Find("[data-testid=form-error]").Length() != 1 {
			t.Errorf("token of %d characters = %d", len(tok), res.status)
		}
	}
	// 20 reports an hour per address: 4 made, 16 more pass, then 429.
	for i := 0; i < 16; i++ {
		answer(looksLike)
	}
	res := b.post("/security/report-token", url.Values{"token": {looksLike}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("21st report = %d, Retry-After %q", res.status, res.header.Get("Retry-After"))
	}
}
