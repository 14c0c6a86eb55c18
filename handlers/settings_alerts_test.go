package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
)

// TestAlertThresholdSettings: a platform admin changes the alert rules'
// thresholds on the settings page (audited); a value out of bounds is
// shown again with its reason and nothing changes; staff who are not
// platform admins cannot.
func TestAlertThresholdSettings(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@portico.test")
	if v := admin.get("/settings").doc.Find("#alert-spike-factor").AttrOr("value", ""); v != "10" {
		t.Errorf("default spike factor shown %q", v)
	}
	if res := admin.post("/settings/alerts", url.Values{"rate_limited_per_hour": {"250"}, "spike_factor": {"20"}, "spike_min": {"500"}}); res.status != http.StatusSeeOther {
		t.Fatalf("save = %d", res.status)
	}
	s, err := p.store.Settings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.AlertThresholds{RateLimitedPerHour: 250, SpikeFactor: 20, SpikeMin: 500}, s.AlertThresholds); diff != "" {
		t.Errorf("saved (-want +got):\n%s", diff)
	}
	var events int
	if err := p.store.DB().Get(&events, `SELECT count(*) FROM audit_events WHERE action = 'settings.alerts'`); err != nil || events != 1 {
		t.Errorf("audit events %d (%v)", events, err)
	}
	res := admin.post("/settings/alerts", url.Values{"rate_limited_per_hour": {"250"}, "spike_factor": {"1"}, "spike_min": {"many"}})
	if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=spike-factor-error]") == "" || text(res, "[data-testid=spike-min-error]") == "" {
		t.Errorf("bad values = %d", res.status)
	}
	if v := res.doc.Find("#alert-spike-min").AttrOr("value", ""); v != "many" {
		t.Errorf("refused value not shown again: %q", v)
	}
	if again, _ := p.store.Settings(context.Background()); again.AlertThresholds != s.AlertThresholds {
		t.Error("a refused form changed the thresholds")
	}
	if res := signedInAs(t, p, "am@portico.test").post("/settings/alerts", url.Values{"rate_limited_per_hour": {"1"}, "spike_factor": {"2"}, "spike_min": {"1"}}); res.status != http.StatusForbidden {
		t.Errorf("account manager = %d", res.status)
	}
}
