package handlers_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestGrantPickerOffersOnlyGrantable: among several partners, the grant
// picker never offers a team or a person the grant action would refuse
// (a suspended partner's, a removed member, a team or person holding the
// group already), for any search that matches them by their name, email
// or partner, on the page (no JavaScript) and in the htmx fragment; the
// grantable matches of the same searches are offered. Posting a refused
// grantee anyway is refused with the reason, and nothing is granted.
func TestGrantPickerOffersOnlyGrantable(t *testing.T) {
	t.Parallel()
	w := newGrantWorld(t)
	p, am := w.p, w.am
	g := strconv.FormatInt(w.yardRead, 10)
	p.exec(t,
		`INSERT INTO partners (name, slug, status) VALUES ('Quay Lines', 'quay-lines', 'suspended')`,
		// The account manager's partner, like every partner of this test.
		`INSERT INTO partner_managers (partner_id, user_id) SELECT p.id, u.id FROM partners p, users u WHERE p.slug = 'quay-lines' AND u.email = 'am@portico.test'`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'quentin@quay.test', 'Quentin Quay', 'developer', id FROM partners WHERE slug = 'quay-lines'`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'qadmin@quay.test', 'Quilla Quay', 'partner_admin', id FROM partners WHERE slug = 'quay-lines'`,
		`INSERT INTO teams (partner_id, name) SELECT id, 'Quay Ops' FROM partners WHERE slug = 'quay-lines'`,
		`INSERT INTO users (email, name, role, partner_id, status) SELECT 'quill@harbor.test', 'Quill Removed', 'developer', partner_id, 'removed' FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'quinn@harbor.test', 'Quinn Holder', 'developer', partner_id FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Quayside Crew' FROM users WHERE email = 'admin@harbor.test'`,
		`INSERT INTO grants (access_group_id, partner_id, team_id) SELECT `+g+`, partner_id, id FROM teams WHERE name = 'Quayside Crew'`,
		`INSERT INTO grants (access_group_id, partner_id, user_id) SELECT `+g+`, partner_id, id FROM users WHERE email = 'quinn@harbor.test'`,
		// Grantable look-alikes, so the searches below do find something.
		`INSERT INTO teams (partner_id, name) SELECT partner_id, 'Quay Watch' FROM users WHERE email = 'admin@crane.test'`,
		`INSERT INTO users (email, name, role, partner_id) SELECT 'quincy@crane.test', 'Quincy Crane', 'developer', partner_id FROM users WHERE email = 'admin@crane.test'`,
	)
	teamOf := func(name string) string {
		var id int64
		if err := p.store.DB().Get(&id, `SELECT id FROM teams WHERE name = $1`, name); err != nil {
			t.Fatal(err)
		}
		return teamValue(id)
	}
	partnerOf := func(slug string) string { return strconv.FormatInt(p.partnerID(t, slug), 10) }
	// The refused grantees, each with the partner the picker would post
	// and the reason the grant action gives.
	refused := []struct{ name, value, partner, reason string }{
		{"a suspended partner's team", teamOf("Quay Ops"), partnerOf("quay-lines"), "Quay Lines is suspended"},
		{"a suspended partner's developer", userValue(p.userID(t, "quentin@quay.test")), partnerOf("quay-lines"), "Quay Lines is suspended"},
		{"a suspended partner's admin", userValue(p.userID(t, "qadmin@quay.test")), partnerOf("quay-lines"), "Quay Lines is suspended"},
		{"a removed member", userValue(removedID(t, p, "quill@harbor.test")), partnerOf("harbor-logistics"), "Quill Removed was removed from Harbor Logistics"},
		{"a team holding the group", teamOf("Quayside Crew"), partnerOf("harbor-logistics"), "team Quayside Crew of Harbor Logistics holds Yard read already"},
		{"a person holding the group", userValue(p.userID(t, "quinn@harbor.test")), partnerOf("harbor-logistics"), "Quinn Holder of Harbor Logistics holds Yard read already"},
	}
	offered := []string{teamOf("Quay Watch"), userValue(p.userID(t, "quincy@crane.test"))}

	group := groupPath(w.yardRead)
	searches := []url.Values{
		{"find": {"qu"}}, {"find": {"quay"}}, {"find": {"Quay Ops"}}, {"find": {"quentin"}}, {"find": {"quay.test"}},
		{"find": {"quill"}}, {"find": {"quill@harbor.test"}}, {"find": {"quinn"}}, {"find": {"quayside"}},
		{"partner": {"quay"}}, {"partner": {"Quay Lines"}}, {"find": {"q"}, "partner": {"quay lines"}},
		{"find": {"qu"}, "partner": {"harbor"}}, {"find": {"crew"}, "partner": {"harbor logistics"}},
	}
	for _, s := range searches {
		q := "?" + s.Encode()
		for how, pg := range map[string]page{"page": am.get(group + q), "htmx": am.getHTMX(group + "/grantees" + q)} {
			if pg.status != http.StatusOK {
				t.Fatalf("%s %s = %d", how, q, pg.status)
			}
			got := granteeResults(pg)
			for _, r := range refused {
				if slices.Contains(got, r.value) {
					t.Errorf("%s %s offers %s (%s)", how, q, r.name, r.value)
				}
			}
		}
	}
	for _, q := range []string{"?find=qu", "?partner=crane"} {
		got := granteeResults(am.get(group + q))
		for _, v := range offered {
			if !slices.Contains(got, v) {
				t.Errorf("%s does not offer grantable %s: %v", q, v, got)
			}
		}
	}

	// A partner search that finds only a suspended partner says so, with
	// a link to where it is reactivated; one that finds grantable people
	// does not.
	for how, pg := range map[string]page{"page": am.get(group + "?partner=quay"), "htmx": am.getHTMX(group + "/grantees?partner=quay")} {
		hint := pg.doc.Find("[data-testid=suspended-match]")
		if got := strings.Join(strings.Fields(hint.Text()), " "); got != "Suspended, so not offered (reactivate a partner from its page before granting it access): Quay Lines" ||
			hint.Find("a").AttrOr("href", "") != "/partners/"+partnerOf("quay-lines") {
			t.Errorf("%s ?partner=quay: hint %q linking to %q", how, got, hint.Find("a").AttrOr("href", ""))
		}
	}
	if am.get(group+"?partner=crane").doc.Find("[data-testid=suspended-match]").Length() != 0 {
		t.Error("a partner search with grantable matches names suspended partners")
	}

	// Posted anyway (a stale page, a forged form): refused with the reason.
	var before int
	if err := p.store.DB().Get(&before, `SELECT count(*) FROM grants`); err != nil {
		t.Fatal(err)
	}
	for _, r := range refused {
		for _, form := range []url.Values{{"grantee": {r.value}, "partner_id": {r.partner}}, {"grantee": {r.value}}} {
			res := am.post(group+"/grants", form)
			if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=grant-error]"), r.reason) {
				t.Errorf("grant to %s (%v) = %d %q, want 422 saying %q", r.name, form, res.status, text(res, "[data-testid=grant-error]"), r.reason)
			}
		}
	}
	var after int
	if err := p.store.DB().Get(&after, `SELECT count(*) FROM grants`); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("%d grants were made to refused grantees", after-before)
	}
}

// removedID is the id of the removed user with the email (UserByEmail
// finds active users only).
func removedID(t *testing.T, p *portal, email string) int64 {
	t.Helper()
	var id int64
	if err := p.store.DB().Get(&id, `SELECT id FROM users WHERE email = $1 AND status = 'removed'`, email); err != nil {
		t.Fatal(err)
	}
	return id
}
