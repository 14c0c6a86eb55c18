package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestOutboxPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@portico.test")
	if pg := admin.get("/outbox"); pg.doc.Find("[data-testid=no-mails]").Length() != 1 {
		t.Errorf("empty outbox: no empty state (status %d)", pg.status)
	}
	signedInAs(t, p, "admin@harbor.test").post("/members/invitations", url.Values{"email": {"mail@harbor.test"}, "role": {"developer"}})
	pg := admin.get("/outbox")
	mail := pg.doc.Find("[data-testid=mail][data-to='mail@harbor.test']")
	if mail.Length() != 1 {
		t.Fatalf("the invitation mail is not on the Outbox page (status %d)", pg.status)
	}
	if body := mail.Find("[data-testid=mail-text]").Text(); !strings.Contains(body, "http://portal.test/invitations/ptc_inv_") {
		t.Errorf("mail text lacks the invitation link:\n%s", body)
	}
	for _, who := range []string{"am@portico.test", "admin@harbor.test"} {
		if res := signedInAs(t, p, who).get("/outbox"); res.status != http.StatusForbidden {
			t.Errorf("%s GET /outbox = %d, want 403", who, res.status)
		}
	}
}
