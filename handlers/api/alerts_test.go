package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
)

type alertOut struct {
	ID             int64   `json:"id"`
	Partner        string  `json:"partner"`
	Rule           string  `json:"rule"`
	TokenName      *string `json:"token_name"`
	AcknowledgedAt *string `json:"acknowledged_at"`
}

// TestAlertsAPI: partner admins list and acknowledge their partner's
// alerts, staff see every partner's, another partner's alert is 404 and a
// developer is refused; every answer matches portal.yaml.
func TestAlertsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var harbor, crane int64
	if err := e.store.DB().QueryRow(`SELECT (SELECT id FROM partners WHERE slug = 'harbor-logistics'), (SELECT id FROM partners WHERE slug = 'crane-works')`).Scan(&harbor, &crane); err != nil {
		t.Fatal(err)
	}
	raise := func(pid int64, rule string) int64 {
		id, ok, err := e.store.RaiseAlert(ctx, store.NewAlert{PartnerID: pid, Rule: rule, Cause: "c", Message: rule + " happened."})
		if err != nil || !ok {
			t.Fatal(err)
		}
		return id
	}
	quota := raise(harbor, "quota")
	raise(harbor, "rate_limited")
	craneAlert := raise(crane, "rate_limited")
	admin := e.signIn("admin@harbor.test")
	rec := e.call(admin, http.MethodGet, "/api/v1/alerts?limit=1", "")
	page := decodeBody[list[alertOut]](t, rec)
	if rec.Code != http.StatusOK || len(page.Items) != 1 || page.NextCursor == nil {
		t.Fatalf("first page = %d %s", rec.Code, rec.Body)
	}
	rec = e.call(admin, http.MethodGet, "/api/v1/alerts?limit=1&cursor="+*page.NextCursor, "")
	second := decodeBody[list[alertOut]](t, rec)
	if got := []string{page.Items[0].Rule, second.Items[0].Rule}; !cmp.Equal(got, []string{"rate_limited", "quota"}) || second.NextCursor != nil {
		t.Errorf("Harbor's alerts in pages: %v", got)
	}
	rec = e.call(admin, http.MethodPost, "/api/v1/alerts/"+strconv.FormatInt(quota, 10)+"/acknowledge", "")
	if ack := decodeBody[alertOut](t, rec); rec.Code != http.StatusOK || ack.AcknowledgedAt == nil {
		t.Errorf("acknowledge = %d %s", rec.Code, rec.Body)
	}
	if open := decodeBody[list[alertOut]](t, e.call(admin, http.MethodGet, "/api/v1/alerts", "")); len(open.Items) != 1 {
		t.Errorf("open alerts after acknowledging one: %d", len(open.Items))
	}
	if all := decodeBody[list[alertOut]](t, e.call(admin, http.MethodGet, "/api/v1/alerts?status=all", "")); len(all.Items) != 2 {
		t.Errorf("all of Harbor's alerts: %d", len(all.Items))
	}
	want(t, "another partner's alert", e.call(admin, http.MethodPost, "/api/v1/alerts/"+strconv.FormatInt(craneAlert, 10)+"/acknowledge", ""), http.StatusNotFound, "not_found")
	want(t, "a developer", e.call(e.signIn("dev@harbor.test"), http.MethodGet, "/api/v1/alerts", ""), http.StatusForbidden, "forbidden")
	if staff := decodeBody[list[alertOut]](t, e.call(e.signIn("am@portico.test"), http.MethodGet, "/api/v1/alerts?status=all", "")); len(staff.Items) != 3 {
		t.Errorf("staff see %d alerts, want every partner's 3", len(staff.Items))
	}
}

// TestTokenHygieneAPI: a partner admin reads the hygiene report, by
// default the credentials that need attention; a developer is refused.
func TestTokenHygieneAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if _, err := e.store.DB().Exec(`
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, created_at, expires_at, last_used_at)
		SELECT u.id, u.partner_id, v.name, 'sandbox', decode(md5(v.name), 'hex'), 'ptc_sbx_…' || left(v.name, 4), '{fleet/fleet:read}',
		       now() - v.age * interval '1 day', now() + interval '60 days', now() - v.used_ago * interval '1 day'
		FROM users u, (VALUES ('forgotten', 10, NULL::int), ('busy', 10, 0)) v(name, age, used_ago)
		WHERE u.email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	type report struct {
		Total, Attention int
		Items            []struct {
			Name  string   `json:"name"`
			Flags []string `json:"flags"`
		}
	}
	admin := e.signIn("admin@harbor.test")
	rec := e.call(admin, http.MethodGet, "/api/v1/tokens/hygiene", "")
	r := decodeBody[report](t, rec)
	if rec.Code != http.StatusOK || r.Total != 2 || r.Attention != 1 || len(r.Items) != 1 || r.Items[0].Name != "forgotten" ||
		!cmp.Equal(r.Items[0].Flags, []string{"never_used", "owner_not_granted"}) { // no catalog: nothing is granted
		t.Errorf("report = %d %s", rec.Code, rec.Body)
	}
	if all := decodeBody[report](t, e.call(admin, http.MethodGet, "/api/v1/tokens/hygiene?show=all", "")); len(all.Items) != 2 {
		t.Errorf("show=all lists %d", len(all.Items))
	}
	want(t, "a developer", e.call(e.signIn("dev@harbor.test"), http.MethodGet, "/api/v1/tokens/hygiene", ""), http.StatusForbidden, "forbidden")
}
