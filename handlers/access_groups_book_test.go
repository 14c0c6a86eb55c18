package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
)

// bookWorld is a grantWorld where Yard read is granted to Harbor's team and
// developer (by the account manager) and to Crane's developer and a Crane
// team (by the platform admin), and then the account manager is no longer
// assigned to Crane Works.
type bookWorld struct {
	*grantWorld
	platform                       *browser
	harborID, craneID              int64
	craneTeam                      int64
	craneUserGrant, craneTeamGrant string
	harborGrants                   []string
}

// craneSecrets are what of Crane the account manager must not read.
var craneSecrets = []string{"Crane Works", "Dan Crane", "dev@crane.test", "Cleo Crane", "Night cranes"}

func newBookWorld(t *testing.T) *bookWorld {
	t.Helper()
	ctx := context.Background()
	w := &bookWorld{grantWorld: newGrantWorld(t)}
	p := w.p
	w.platform = signedInAs(t, p, "admin@portico.test")
	w.harborID = mustInt(t, p.id(t, `SELECT id FROM partners WHERE slug = 'harbor-logistics'`))
	w.craneID = mustInt(t, p.id(t, `SELECT id FROM partners WHERE slug = 'crane-works'`))
	w.craneTeam = createTeam(t, signedInAs(t, p, "admin@crane.test"), "Night cranes")
	// Granted in time order Harbor, Crane, Harbor, Crane: the account
	// manager's pages skip every other row.
	for _, g := range []struct {
		b       *browser
		grantee string
	}{{w.am, teamValue(w.team)}, {w.platform, userValue(w.crane)}, {w.am, userValue(w.dev)}, {w.platform, teamValue(w.craneTeam)}} {
		if res := grant(g.b, w.yardRead, g.grantee); res.status != http.StatusSeeOther {
			t.Fatalf("grant Yard read to %s = %d: %s", g.grantee, res.status, text(res, "[data-testid=grant-error]"))
		}
	}
	w.craneUserGrant = p.id(t, `SELECT id FROM grants WHERE user_id = $1`, w.crane)
	w.craneTeamGrant = p.id(t, `SELECT id FROM grants WHERE team_id = $1`, w.craneTeam)
	w.harborGrants = []string{p.id(t, `SELECT id FROM grants WHERE user_id = $1`, w.dev), p.id(t, `SELECT id FROM grants WHERE team_id = $1`, w.team)}
	if _, err := p.store.UnassignManager(ctx, w.craneID, p.userID(t, "am@portico.test")); err != nil {
		t.Fatal(err)
	}
	return w
}

// openGrants counts the open grants of the world's Yard read group.
func (w *bookWorld) openGrants(t *testing.T) string {
	t.Helper()
	return w.p.id(t, `SELECT count(*) FROM grants WHERE access_group_id = $1 AND revoked_at IS NULL`, w.yardRead)
}

func leaks(body string) []string {
	var out []string
	for _, s := range craneSecrets {
		if strings.Contains(body, s) {
			out = append(out, s)
		}
	}
	return out
}

func TestAccessGroupPageFollowsTheAssignment(t *testing.T) {
	t.Parallel()
	w := newBookWorld(t)
	am, admin := w.am, w.platform

	pg := am.get(groupPath(w.yardRead))
	html, _ := pg.doc.Html()
	if pg.status != http.StatusOK {
		t.Fatalf("GET the group as the account manager = %d", pg.status)
	}
	if diff := cmp.Diff(w.harborGrants, grantIDs(pg, "[data-testid=grant]")); diff != "" {
		t.Errorf("grants the account manager sees (-want +got):\n%s", diff)
	}
	if got := text(pg, "[data-testid=other-partners-grants]"); !strings.HasPrefix(got, "2 more open grants of this group are to partners you do not manage") {
		t.Errorf("note of the other grants = %q", got)
	}
	if l := leaks(html); len(l) != 0 {
		t.Errorf("the account manager's group page shows %q", l)
	}
	pg = admin.get(groupPath(w.yardRead))
	if got := len(grantIDs(pg, "[data-testid=grant]")); got != 4 || pg.doc.Find("[data-testid=other-partners-grants]").Length() != 0 {
		t.Errorf("the platform admin sees %d grants and a note %q; want all 4 and no note", got, text(pg, "[data-testid=other-partners-grants]"))
	}

	// The picker offers the account manager's partners only, in the page
	// and in its htmx fragment.
	for _, q := range []string{"?find=cleo", "?partner=crane", "?find=crane.test"} {
		for _, path := range []string{groupPath(w.yardRead) + q, groupPath(w.yardRead, "grantees") + q} {
			req, _ := http.NewRequest(http.MethodGet, am.base+path, nil)
			req.Header.Set("HX-Request", "true")
			res := am.do(req)
			html, _ := res.doc.Html()
			if res.status != http.StatusOK || res.doc.Find("[data-testid=grantee-result]").Length() != 0 || len(leaks(html)) != 0 {
				t.Errorf("GET %s as the account manager = %d, %d results, shows %q; want none of Crane", path, res.status,
					res.doc.Find("[data-testid=grantee-result]").Length(), leaks(html))
			}
		}
		if res := admin.get(groupPath(w.yardRead) + q); res.doc.Find("[data-testid=grantee-result]").Length() == 0 {
			t.Errorf("GET %s as the platform admin offers nobody of Crane", q)
		}
	}
	if res := am.get(groupPath(w.yardRead) + "?find=ada"); res.doc.Find("[data-testid=grantee-result]").Length() != 1 {
		t.Error("the account manager's picker no longer offers their own partner's admin")
	}

	// Granting to, and revoking a grant of, an unmanaged partner is a 404;
	// nothing changes.
	before := w.openGrants(t)
	for _, form := range []url.Values{
		{"grantee": {userValue(w.p.userID(t, "admin@crane.test"))}},
		{"grantee": {userValue(w.p.userID(t, "admin@crane.test"))}, "partner_id": {itoa(w.harborID)}},
		// Harbor's own team, said to be of Crane: refused without naming
		// Crane, which the form named by its id only.
		{"grantee": {teamValue(w.team)}, "partner_id": {itoa(w.craneID)}},
	} {
		res := am.post(groupPath(w.fleet, "grants"), form)
		if html, _ := res.doc.Html(); res.status != http.StatusNotFound || len(leaks(html)) != 0 {
			t.Errorf("grant %v as the account manager = %d, shows %q; want 404 and nothing of Crane", form, res.status, leaks(html))
		}
	}
	for _, id := range []string{w.craneUserGrant, w.craneTeamGrant} {
		if res := am.get(groupPath(w.yardRead, "grants", id, "revoke")); res.status != http.StatusNotFound {
			t.Errorf("GET the revoke confirmation of Crane's grant %s = %d, want 404", id, res.status)
		}
		res := am.post(groupPath(w.yardRead, "grants", id, "revoke"), nil)
		if html, _ := res.doc.Html(); res.status != http.StatusNotFound || len(leaks(html)) != 0 {
			t.Errorf("POST revoke Crane's grant %s = %d, shows %q; want 404 and nothing of Crane", id, res.status, leaks(html))
		}
	}
	if after := w.openGrants(t); after != before || w.p.id(t, `SELECT count(*) FROM grants WHERE access_group_id = $1`, w.fleet) != "0" {
		t.Errorf("open grants of Yard read %s → %s: refused requests changed grants", before, after)
	}

	// Deleting is refused naming Harbor and counting Crane.
	del := am.get(groupPath(w.yardRead, "delete"))
	html, _ = del.doc.Html()
	if got := text(del, "[data-testid=delete-refusal]"); !strings.HasPrefix(got, "Yard read is still granted to Harbor Logistics and 1 partner you do not manage.") || len(leaks(html)) != 0 {
		t.Errorf("delete confirmation as the account manager: %q, shows %q", got, leaks(html))
	}
	res := am.post(groupPath(w.yardRead, "delete"), nil)
	html, _ = res.doc.Html()
	if res.status != http.StatusConflict || len(leaks(html)) != 0 || !strings.Contains(text(res, "[data-testid=delete-refusal]"), "platform admin") {
		t.Errorf("POST delete as the account manager = %d, %q, shows %q; want 409 saying who can revoke", res.status, text(res, "[data-testid=delete-refusal]"), leaks(html))
	}
	if got := text(admin.get(groupPath(w.yardRead, "delete")), "[data-testid=delete-refusal]"); !strings.HasPrefix(got, "Yard read is still granted to Crane Works, Harbor Logistics.") {
		t.Errorf("delete confirmation as the platform admin = %q", got)
	}

	// The platform admin revokes Crane's grants: the account manager's page
	// has nothing more to count.
	for _, id := range []string{w.craneUserGrant, w.craneTeamGrant} {
		if res := admin.post(groupPath(w.yardRead, "grants", id, "revoke"), nil); res.status != http.StatusSeeOther {
			t.Errorf("the platform admin revokes %s = %d", id, res.status)
		}
	}
	pg = am.get(groupPath(w.yardRead))
	html, _ = pg.doc.Html()
	if pg.doc.Find("[data-testid=other-partners-grants]").Length() != 0 || len(grantIDs(pg, "[data-testid=revoked-grant]")) != 0 || len(leaks(html)) != 0 {
		t.Errorf("after the admin's revokes the account manager sees a note %q, revoked grants %v, %q of Crane",
			text(pg, "[data-testid=other-partners-grants]"), grantIDs(pg, "[data-testid=revoked-grant]"), leaks(html))
	}

	// A suspended partner of another book is not named by the picker.
	if _, err := w.p.store.SetPartnerStatus(context.Background(), w.craneID, store.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	if res := am.get(groupPath(w.yardRead) + "?partner=crane"); res.doc.Find("[data-testid=suspended-match]").Length() != 0 {
		t.Errorf("the account manager's picker names suspended Crane: %q", text(res, "[data-testid=suspended-match]"))
	}
	if res := admin.get(groupPath(w.yardRead) + "?partner=crane"); !strings.Contains(text(res, "[data-testid=suspended-match]"), "Crane Works") {
		t.Error("the platform admin's picker no longer names suspended Crane")
	}
}

func TestAccessGroupAPIFollowsTheAssignment(t *testing.T) {
	t.Parallel()
	w := newBookWorld(t)
	am, admin := w.am, w.platform
	type grantList struct {
		Items []struct {
			ID      int64 `json:"id"`
			Partner struct {
				Name string `json:"name"`
			} `json:"partner"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
		Others     int     `json:"other_partners_open_grants"`
	}
	// Paging one grant at a time through a list where every other row is
	// Crane's: the keyset pages skip them and lose none of Harbor's.
	var ids []string
	others := -1
	path := "/api/v1/access-groups/" + itoa(w.yardRead) + "/grants?limit=1"
	for next := path; next != ""; {
		res := am.sendJSON(http.MethodGet, next, "")
		body := res.doc.Text()
		if res.status != http.StatusOK || len(leaks(body)) != 0 {
			t.Fatalf("GET %s as the account manager = %d, shows %q", next, res.status, leaks(body))
		}
		var l grantList
		if err := json.Unmarshal([]byte(body), &l); err != nil {
			t.Fatal(err)
		}
		for _, it := range l.Items {
			ids = append(ids, itoa(it.ID))
		}
		others, next = l.Others, ""
		if l.NextCursor != nil {
			next = path + "&cursor=" + url.QueryEscape(*l.NextCursor)
		}
	}
	if diff := cmp.Diff(w.harborGrants, ids); diff != "" || others != 2 {
		t.Errorf("grants listed to the account manager (-want +got):\n%s\nother partners' open grants %d, want 2", diff, others)
	}
	var all grantList
	if res := admin.sendJSON(http.MethodGet, path[:len(path)-len("?limit=1")], ""); json.Unmarshal([]byte(res.doc.Text()), &all) != nil || len(all.Items) != 4 || all.Others != 0 {
		t.Errorf("the platform admin's list = %d items, %d others; want 4 and 0", len(all.Items), all.Others)
	}

	craneAdmin := itoa(w.p.userID(t, "admin@crane.test"))
	before := w.openGrants(t)
	for _, tc := range []struct{ method, path, body string }{
		{http.MethodPost, "/api/v1/access-groups/" + itoa(w.fleet) + "/grants", `{"user_id": ` + craneAdmin + `, "partner_id": ` + itoa(w.craneID) + `}`},
		{http.MethodPost, "/api/v1/access-groups/" + itoa(w.fleet) + "/grants", `{"user_id": ` + craneAdmin + `, "partner_id": ` + itoa(w.harborID) + `}`},
		{http.MethodPost, "/api/v1/access-groups/" + itoa(w.fleet) + "/grants", `{"team_id": ` + itoa(w.craneTeam) + `, "partner_id": ` + itoa(w.harborID) + `}`},
		{http.MethodDelete, "/api/v1/access-groups/" + itoa(w.yardRead) + "/grants/" + w.craneUserGrant, ""},
		{http.MethodGet, "/api/v1/grants?partner_id=" + itoa(w.craneID), ""},
		{http.MethodGet, "/api/v1/members/" + craneAdmin + "/access", ""},
		{http.MethodGet, "/api/v1/members/" + itoa(w.crane) + "/access", ""},
	} {
		res := am.sendJSON(tc.method, tc.path, tc.body)
		if body := res.doc.Text(); res.status != http.StatusNotFound || len(leaks(body)) != 0 {
			t.Errorf("%s %s %s as the account manager = %d %s; want 404 saying nothing of Crane", tc.method, tc.path, tc.body, res.status, body)
		}
	}
	// An unmanaged member answers exactly like one that does not exist.
	var hidden, unknown jsonError
	_ = json.Unmarshal([]byte(am.sendJSON(http.MethodGet, "/api/v1/members/"+craneAdmin+"/access", "").doc.Text()), &hidden)
	_ = json.Unmarshal([]byte(am.sendJSON(http.MethodGet, "/api/v1/members/99999999/access", "").doc.Text()), &unknown)
	if hidden.Error.Message != unknown.Error.Message {
		t.Errorf("an unmanaged member says %q, an unknown one %q", hidden.Error.Message, unknown.Error.Message)
	}
	if after := w.openGrants(t); after != before || w.p.id(t, `SELECT count(*) FROM grants WHERE access_group_id = $1`, w.fleet) != "0" {
		t.Errorf("open grants %s → %s after refused requests", before, after)
	}
	for _, path := range []string{"/api/v1/grants?partner_id=" + itoa(w.craneID), "/api/v1/members/" + craneAdmin + "/access"} {
		if res := admin.sendJSON(http.MethodGet, path, ""); res.status != http.StatusOK {
			t.Errorf("GET %s as the platform admin = %d", path, res.status)
		}
	}
	if res := am.sendJSON(http.MethodGet, "/api/v1/grants?partner_id="+itoa(w.harborID)+"&q=yard", ""); res.status != http.StatusOK ||
		!strings.Contains(res.doc.Text(), "Integrations") {
		t.Errorf("GET Harbor's grants as the account manager = %d", res.status)
	}

	res := am.sendJSON(http.MethodDelete, "/api/v1/access-groups/"+itoa(w.yardRead), "")
	if body := res.doc.Text(); res.status != http.StatusConflict || len(leaks(body)) != 0 || !strings.Contains(body, "1 partner you do not manage") {
		t.Errorf("DELETE the group as the account manager = %d %s; want 409 counting Crane without naming it", res.status, body)
	}
	if res := admin.sendJSON(http.MethodDelete, "/api/v1/access-groups/"+itoa(w.yardRead), ""); res.status != http.StatusConflict || !strings.Contains(res.doc.Text(), "Crane Works") {
		t.Errorf("DELETE the group as the platform admin = %d %s; want 409 naming Crane", res.status, res.doc.Text())
	}
	// Still there: id fails the test if the group is gone.
	w.p.id(t, `SELECT id FROM access_groups WHERE id = $1`, w.yardRead)
}
