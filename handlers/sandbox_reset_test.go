package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// sandboxWrites stores n sandbox work orders for a partner and returns
// how many it has.
func (p *portal) sandboxWrites(t *testing.T, slug string, ids ...string) int {
	t.Helper()
	ctx := context.Background()
	partnerID := p.partnerID(t, slug)
	for _, id := range ids {
		body := `{"id":"` + id + `"}`
		if _, err := p.store.InsertSandboxWorkOrder(ctx, partnerID, id, []byte(body), nil, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return p.count(t, `SELECT count(*) FROM sandbox_work_orders WHERE partner_id = $1`, partnerID)
}

func TestResetSandboxData(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	p.sandboxWrites(t, "harbor-logistics", "WO-000101", "WO-000102")
	p.sandboxWrites(t, "crane-works", "WO-000201")
	admin := signedInAs(t, p, "admin@harbor.test")

	for _, tc := range []struct {
		who    string
		method string
		want   int
	}{
		{"dev@harbor.test", http.MethodGet, http.StatusForbidden},
		{"dev@harbor.test", http.MethodPost, http.StatusForbidden},
		{"am@portico.test", http.MethodGet, http.StatusForbidden},
		{"am@portico.test", http.MethodPost, http.StatusForbidden},
		{"admin@portico.test", http.MethodPost, http.StatusForbidden},
	} {
		t.Run(tc.who+" "+tc.method, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			before := p.auditCount(t)
			var res page
			if tc.method == http.MethodGet {
				res = b.get("/access/sandbox-reset")
			} else {
				res = b.post("/access/sandbox-reset", nil)
			}
			if res.status != tc.want {
				t.Errorf("%s /access/sandbox-reset = %d, want %d", tc.method, res.status, tc.want)
			}
			if n := p.auditCount(t) - before; n != 0 {
				t.Errorf("%d audit events written by a refused reset", n)
			}
			if n := p.sandboxWrites(t, "harbor-logistics"); n != 2 {
				t.Errorf("harbor's sandbox holds %d work orders after a refused reset, want 2", n)
			}
		})
	}
	if n := signedInAs(t, p, "dev@harbor.test").get("/access").doc.Find("[data-testid=reset-sandbox-link]").Length(); n != 0 {
		t.Error("a developer is offered the reset")
	}

	acc := admin.get("/access")
	if acc.doc.Find("form[method=get][action='/access/sandbox-reset'] [data-testid=reset-sandbox-link]").Length() != 1 {
		t.Fatal("the access page offers a partner admin no reset")
	}
	confirm := admin.get("/access/sandbox-reset")
	if confirm.status != http.StatusOK || confirm.doc.Find("form[method=post][action='/access/sandbox-reset'] [data-testid=confirm-reset-sandbox-button]").Length() != 1 {
		t.Fatalf("confirm page = %d without its POST form", confirm.status)
	}
	if got := text(confirm, "h1"); got != "Reset the sandbox data of Harbor Logistics?" {
		t.Errorf("confirm heading = %q", got)
	}

	res := admin.post("/access/sandbox-reset", nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/access" {
		t.Fatalf("POST /access/sandbox-reset = %d to %q, want 303 to /access", res.status, res.header.Get("Location"))
	}
	var got []auditRow
	for _, e := range p.eventsOf(t, res.header.Get("X-Request-Id")) {
		got = append(got, e.auditRow)
	}
	want := []auditRow{{Action: "sandbox.reset", Actor: "admin@harbor.test", Partner: "Harbor Logistics", Target: "Harbor Logistics"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
	if n := p.sandboxWrites(t, "harbor-logistics"); n != 0 {
		t.Errorf("harbor's sandbox holds %d work orders after the reset, want 0", n)
	}
	if n := p.sandboxWrites(t, "crane-works"); n != 1 {
		t.Errorf("crane's sandbox holds %d work orders after harbor's reset, want 1", n)
	}
	if got := text(admin.get("/access"), "[data-testid=flash]"); !strings.Contains(got, "Sandbox data of Harbor Logistics reset") {
		t.Errorf("flash after reset = %q", got)
	}
}
