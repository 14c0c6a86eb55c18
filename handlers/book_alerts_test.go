package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/portico/portico/internal/store"
)

// TestAlertsFollowTheBook: an account manager of Harbor alone lists,
// counts and acts on Harbor's alerts only, on the page, in the
// navigation and through the management API; Crane's alert answers 404
// to each of their actions and stays open. The demo's account manager of
// both and the platform admin list both.
func TestAlertsFollowTheBook(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	ctx := context.Background()
	harbor, crane := partnerIDOf(t, p, "harbor-logistics"), partnerIDOf(t, p, "crane-works")
	var craneToken int64
	if err := p.store.DB().Get(&craneToken, `
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT id, partner_id, 'yard sync', 'sandbox', '\xc4a1', 'ptc_sbx_…c4a1', '{fleet/fleet:read}', now() + interval '30 days'
		FROM users WHERE email = 'dev@crane.test' RETURNING id`); err != nil {
		t.Fatal(err)
	}
	raise := func(a store.NewAlert) int64 {
		id, ok, err := p.store.RaiseAlert(ctx, a)
		if err != nil || !ok {
			t.Fatalf("raise: %v %v", ok, err)
		}
		return id
	}
	harborAlert := raise(store.NewAlert{PartnerID: harbor, Rule: "quota", Cause: "2026-12/80/group 1", Message: "Harbor used 80 %."})
	craneAlert := raise(store.NewAlert{PartnerID: crane, TokenID: &craneToken, Rule: "spike_calls", Cause: "h1", Message: "“yard sync” made 5000 calls."})
	bookManager(t, p, "sam@portico.test", "harbor-logistics")
	messages := func(pg page) []string {
		var out []string
		pg.doc.Find("[data-testid=alert-message]").Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	type apiAlerts struct {
		Items []struct {
			PartnerID int64 `json:"partner_id"`
		} `json:"items"`
	}
	for _, tc := range []struct {
		who  string
		both bool
		nav  string
	}{
		{"sam@portico.test", false, "Alerts (1)"},
		{"am@portico.test", true, "Alerts (2)"},
		{"admin@portico.test", true, "Alerts (2)"},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			pg := b.get("/alerts")
			if pg.status != http.StatusOK {
				t.Fatalf("GET /alerts = %d", pg.status)
			}
			want := []string{"Harbor used 80 %."}
			if tc.both {
				want = []string{"“yard sync” made 5000 calls.", "Harbor used 80 %."}
			}
			if got := messages(pg); !slices.Equal(got, want) {
				t.Errorf("/alerts lists %q, want %q", got, want)
			}
			if nav := pg.doc.Find("[data-testid=nav] a[href='/alerts']").Text(); nav != tc.nav {
				t.Errorf("navigation says %q, want %q", nav, tc.nav)
			}
			var list apiAlerts
			if status := b.apiGet("/api/v1/alerts", &list); status != http.StatusOK {
				t.Fatalf("GET /api/v1/alerts = %d", status)
			}
			var ids []int64
			for _, it := range list.Items {
				ids = append(ids, it.PartnerID)
			}
			if slices.Contains(ids, crane) != tc.both || !slices.Contains(ids, harbor) {
				t.Errorf("/api/v1/alerts partners %v", ids)
			}
		})
	}

	// Crane's alert is out of Sam's reach: every action answers 404 and
	// leaves it open.
	sam := signedInAs(t, p, "sam@portico.test")
	for _, action := range []string{"acknowledge", "mute"} {
		if r := sam.post(alertAction(craneAlert, action), nil); r.status != http.StatusNotFound {
			t.Errorf("POST %s of Crane's alert = %d, want 404", action, r.status)
		}
	}
	if r := sam.sendJSON(http.MethodPost, "/api/v1/alerts/"+idText(craneAlert)+"/acknowledge", ""); r.status != http.StatusNotFound {
		t.Errorf("API acknowledge of Crane's alert = %d, want 404", r.status)
	}
	if al, err := p.store.AlertByID(ctx, craneAlert); err != nil || al.AcknowledgedAt != nil {
		t.Errorf("Crane's alert after Sam's attempts: %v, %v", al, err)
	}
	var muted int
	if err := p.store.DB().Get(&muted, `SELECT count(*) FROM alert_mutes`); err != nil || muted != 0 {
		t.Errorf("%d mutes after Sam's attempt (%v)", muted, err)
	}
	// Harbor's is theirs to acknowledge.
	if r := sam.sendJSON(http.MethodPost, "/api/v1/alerts/"+idText(harborAlert)+"/acknowledge", ""); r.status != http.StatusOK {
		t.Errorf("API acknowledge of Harbor's alert = %d, want 200", r.status)
	}
	if nav := sam.get("/alerts").doc.Find("[data-testid=nav] a[href='/alerts']").Text(); nav != "Alerts" {
		t.Errorf("navigation after acknowledging says %q", nav)
	}
}
