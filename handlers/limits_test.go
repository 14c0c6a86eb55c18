package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/portico/portico/internal/people"
)

// TestInvitationCapOnMembersPage: past the partner's hourly cap, the
// members page refuses to invite or resend with 429 and Retry-After, and
// says why.
func TestInvitationCapOnMembersPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	if res := admin.post("/members/invitations", url.Values{"email": {"first@harbor.test"}, "role": {"developer"}}); res.status != http.StatusSeeOther {
		t.Fatalf("invite = %d", res.status)
	}
	if _, err := p.store.DB().Exec(`UPDATE attempt_counters SET count = $1 WHERE kind = 'invitation'`, people.InvitationsPerHour); err != nil {
		t.Fatal(err)
	}
	res := admin.post("/members/invitations", url.Values{"email": {"second@harbor.test"}, "role": {"developer"}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("invite past the cap = %d (Retry-After %q), want 429 with Retry-After", res.status, res.header.Get("Retry-After"))
	}
	if got := res.doc.Text(); !strings.Contains(got, "At most "+strconv.Itoa(people.InvitationsPerHour)+" invitations") {
		t.Errorf("the page does not say why the invitation was refused")
	}
	var id int64
	if err := p.store.DB().Get(&id, `SELECT id FROM invitations WHERE email = 'first@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	if res := admin.post("/members/invitations/"+itoa(id)+"/resend", nil); res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("resend past the cap = %d (Retry-After %q), want 429", res.status, res.header.Get("Retry-After"))
	}
	var n int
	if err := p.store.DB().Get(&n, `SELECT count(*) FROM outbox WHERE to_email IN ('first@harbor.test', 'second@harbor.test')`); err != nil || n != 1 {
		t.Errorf("%d invitation mails (%v), want only the first one", n, err)
	}
}
