package handlers_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
)

// TestAlertsPage: a partner admin sees their partner's open alerts with a
// count in the navigation, acknowledges one in a click and mutes a rule for
// a credential; staff see every partner's; nobody acts on another
// partner's alert, and developers have no alerts page.
func TestAlertsPage(t *testing.T) {
	t.Parallel()
	p := newCatalogPortal(t)
	ctx := context.Background()
	var harbor, crane, tokenID int64
	if err := p.store.DB().QueryRow(`SELECT (SELECT id FROM partners WHERE slug = 'harbor-logistics'), (SELECT id FROM partners WHERE slug = 'crane-works')`).Scan(&harbor, &crane); err != nil {
		t.Fatal(err)
	}
	if err := p.store.DB().Get(&tokenID, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, 'nightly export', 'sandbox', '\xa1e7', 'ptc_sbx_…a1e7', '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email = 'dev@harbor.test' RETURNING id`); err != nil {
		t.Fatal(err)
	}
	raise := func(a store.NewAlert) int64 {
		id, ok, err := p.store.RaiseAlert(ctx, a)
		if err != nil || !ok {
			t.Fatalf("raise: %v %v", ok, err)
		}
		return id
	}
	raise(store.NewAlert{PartnerID: harbor, TokenID: &tokenID, Rule: "spike_calls", Cause: "h1", Message: "“nightly export” made 5000 calls."})
	quota := raise(store.NewAlert{PartnerID: harbor, Rule: "quota", Cause: "2026-12/80/group 1", Message: "Harbor used 80 %."})
	craneAlert := raise(store.NewAlert{PartnerID: crane, Rule: "rate_limited", Cause: "h1", Message: "Crane was refused."})
	if _, again, _ := p.store.RaiseAlert(ctx, store.NewAlert{PartnerID: harbor, TokenID: &tokenID, Rule: "spike_calls", Cause: "h1", Message: "again"}); again {
		t.Error("the same cause was raised twice")
	}
	rules := func(pg page) []string {
		var out []string
		pg.doc.Find("[data-testid=alert]").Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-rule", "")) })
		return out
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	res := admin.get("/alerts")
	if res.status != http.StatusOK {
		t.Fatalf("alerts = %d", res.status)
	}
	if diff := cmp.Diff([]string{"quota", "spike_calls"}, rules(res)); diff != "" {
		t.Errorf("Harbor's alerts (-want +got):\n%s", diff)
	}
	if nav := res.doc.Find("[data-testid=nav] a[href='/alerts']").Text(); nav != "Alerts (2)" {
		t.Errorf("navigation says %q", nav)
	}
	spikeRow := res.doc.Find("[data-testid=alert][data-rule=spike_calls]")
	if href := spikeRow.Find("[data-testid=revoke]").AttrOr("href", ""); href != "/tokens/"+strconv.FormatInt(tokenID, 10)+"/revoke?from=partner" {
		t.Errorf("revoke link %q", href)
	}
	// Acknowledge the quota alert, mute the spike rule for the token.
	if r := admin.post(alertAction(quota, "acknowledge"), nil); r.status != http.StatusSeeOther {
		t.Fatalf("acknowledge = %d", r.status)
	}
	if r := admin.post(spikeRow.Find("form:has([data-testid=mute])").AttrOr("action", ""), nil); r.status != http.StatusSeeOther {
		t.Fatalf("mute = %d", r.status)
	}
	res = admin.get("/alerts")
	if len(rules(res)) != 0 || res.doc.Find("[data-testid=alerts-empty]").Length() != 1 {
		t.Errorf("open alerts after acknowledging both: %v", rules(res))
	}
	if nav := res.doc.Find("[data-testid=nav] a[href='/alerts']").Text(); nav != "Alerts" {
		t.Errorf("navigation says %q with nothing open", nav)
	}
	if got := rules(admin.get("/alerts?show=all")); len(got) != 2 {
		t.Errorf("all alerts: %v", got)
	}
	if _, again, _ := p.store.RaiseAlert(ctx, store.NewAlert{PartnerID: harbor, TokenID: &tokenID, Rule: "spike_calls", Cause: "h2", Message: "next hour"}); again {
		t.Error("a muted rule was raised for the token")
	}
	// Other people.
	if r := admin.post(alertAction(craneAlert, "acknowledge"), nil); r.status != http.StatusNotFound {
		t.Errorf("Harbor's admin acknowledging Crane's alert = %d", r.status)
	}
	if r := signedInAs(t, p, "dev@harbor.test").get("/alerts"); r.status != http.StatusForbidden {
		t.Errorf("developer's alerts page = %d", r.status)
	}
	staff := signedInAs(t, p, "am@portico.test").get("/alerts?show=all")
	if got := rules(staff); len(got) != 3 || !strings.Contains(text(staff, "[data-testid=alert][data-rule=rate_limited]"), "Crane") {
		t.Errorf("staff see %v", got)
	}
}

func alertAction(id int64, action string) string {
	return "/alerts/" + strconv.FormatInt(id, 10) + "/" + action
}
