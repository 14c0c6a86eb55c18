package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

// yardDoc declares two scopes, each required by one of two operations.
const yardDoc = `openapi: 3.0.3
info: {title: Yard API, version: "1.0.0"}
components:
  securitySchemes:
    portico: {type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {"yard:read": Read the yard, "yard:write": Move containers}}}}
paths:
  /slots: {get: {operationId: listSlots, security: [{portico: ["yard:read"]}], responses: {"200": {description: ok}}}}
  /moves: {post: {operationId: createMove, security: [{portico: ["yard:write"]}], responses: {"201": {description: created}}}}
`

// importAPI imports an API with yardDoc's scopes under slug; its scopes
// are "<slug>:read" and "<slug>:write".
func (p *portal) importAPI(t *testing.T, slug string) *store.API {
	t.Helper()
	doc := strings.ReplaceAll(strings.ReplaceAll(yardDoc, "yard:", slug+":"), "Yard API", strings.ToUpper(slug[:1])+slug[1:]+" API")
	imp, err := catalog.NewService(p.store).Create(context.Background(), access.Actor{}, slug, "", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return imp.API
}

func groupPath(id int64, rest ...string) string {
	return strings.Join(append([]string{"/access-groups/" + strconv.FormatInt(id, 10)}, rest...), "/")
}

func groupForm(name, rate, quota string) url.Values {
	return url.Values{"name": {name}, "description": {"For " + name}, "rate_limit_per_minute": {rate}, "monthly_quota": {quota}}
}

// createGroup creates an access group as b and returns its id, taken from
// the redirect to its page.
func createGroup(t *testing.T, b *browser, name string) int64 {
	t.Helper()
	res := b.post("/access-groups", groupForm(name, "600", ""))
	loc := res.header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/access-groups/"), 10, 64)
	if res.status != http.StatusSeeOther || err != nil {
		t.Fatalf("create group %q = %d to %q, want 303 to its page", name, res.status, loc)
	}
	return id
}

// include includes the API with the scopes in the group, as b.
func include(t *testing.T, b *browser, group int64, slug string, scopes ...string) {
	t.Helper()
	if res := b.post(groupPath(group, "apis"), url.Values{"api": {slug}, "scope": scopes}); res.status != http.StatusSeeOther {
		t.Fatalf("include %s %v = %d: %s", slug, scopes, res.status, text(res, "[data-testid=include-error]"))
	}
}

// grant grants the group to "team:ID" or "user:ID" as b, returning the page.
func grant(b *browser, group int64, grantee string) page {
	return b.post(groupPath(group, "grants"), url.Values{"grantee": {grantee}})
}

func teamValue(id int64) string { return "team:" + strconv.FormatInt(id, 10) }
func userValue(id int64) string { return "user:" + strconv.FormatInt(id, 10) }

// reach is what GET /access shows a member reaching: "slug scope scope".
func reach(pg page, email string) []string {
	var out []string
	pg.doc.Find("[data-testid=member-access][data-email='" + email + "'] [data-testid=reach]").Each(func(_ int, s *goquery.Selection) {
		item := s.AttrOr("data-slug", "")
		s.Find("[data-testid=reach-scope]").Each(func(_ int, sc *goquery.Selection) { item += " " + sc.Text() })
		out = append(out, item)
	})
	return out
}

// effective is catalog.EffectiveAccess of a user as "slug scope scope".
func (p *portal) effective(t *testing.T, email string) []string {
	t.Helper()
	a, err := catalog.EffectiveAccess(context.Background(), p.store, p.userID(t, email))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, slug := range []string{"fleet", "telemetry", "yard"} {
		if x := a.APIs[slug]; x != nil {
			out = append(out, slug+" "+strings.Join(x.Scopes, " "))
		}
	}
	return out
}

func TestAccessGroupPagesAccess(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	am := signedInAs(t, p, "am@portico.test")
	group := createGroup(t, am, "Yard")
	p.importAPI(t, "yard")
	include(t, am, group, "yard", "yard:read")

	for _, who := range []string{"am@portico.test", "admin@portico.test"} {
		b := signedInAs(t, p, who)
		pg := b.get("/access-groups")
		if pg.status != http.StatusOK || pg.doc.Find("[data-testid=access-group]").Length() != 1 {
			t.Errorf("%s GET /access-groups = %d", who, pg.status)
		}
		if pg.doc.Find("[data-testid=nav] a[href='/access-groups']").Length() != 1 || pg.doc.Find("[data-testid=nav] a[href='/access']").Length() != 0 {
			t.Errorf("%s: navigation should offer Access groups and not Access", who)
		}
		if res := b.get(groupPath(group)); res.status != http.StatusOK {
			t.Errorf("%s GET %s = %d", who, groupPath(group), res.status)
		}
		if res := b.get("/access"); res.status != http.StatusForbidden {
			t.Errorf("%s GET /access = %d, want 403: staff use the access groups pages", who, res.status)
		}
	}

	for _, who := range []string{"admin@harbor.test", "dev@harbor.test"} {
		t.Run(who, func(t *testing.T) {
			b := signedInAs(t, p, who)
			for _, r := range []struct{ method, path string }{
				{"GET", "/access-groups"},
				{"POST", "/access-groups"},
				{"GET", groupPath(group)},
				{"POST", groupPath(group)},
				{"POST", groupPath(group, "apis")},
				{"POST", groupPath(group, "apis", "yard", "remove")},
				{"POST", groupPath(group, "grants")},
				{"POST", groupPath(group, "grants", "1", "revoke")},
				{"GET", groupPath(group, "delete")},
				{"POST", groupPath(group, "delete")},
			} {
				var res page
				if r.method == "GET" {
					res = b.get(r.path)
				} else {
					res = b.post(r.path, url.Values{"name": {"Mine"}, "rate_limit_per_minute": {"5"}, "api": {"yard"}, "scope": {"yard:write"},
						"grantee": {userValue(p.userID(t, "dev@harbor.test"))}})
				}
				if res.status != http.StatusForbidden {
					t.Errorf("%s %s = %d, want 403", r.method, r.path, res.status)
				}
			}
			if n := b.get("/").doc.Find("[data-testid=nav] a[href='/access-groups']").Length(); n != 0 {
				t.Error("navigation offers Access groups")
			}
		})
	}
	if got := p.count(t, `SELECT count(*) FROM grants`); got != 0 {
		t.Errorf("%d grants stored by partner users, want none", got)
	}
	if got := p.count(t, `SELECT count(*) FROM access_groups WHERE name = 'Yard' AND rate_limit_per_minute = 600`); got != 1 {
		t.Error("the group was changed by a partner user")
	}
	if got := p.count(t, `SELECT count(*) FROM access_group_apis WHERE scopes = '{yard:read}'`); got != 1 {
		t.Error("the group's scopes were changed by a partner user")
	}

	dev := signedInAs(t, p, "dev@harbor.test")
	if res := dev.get("/access"); res.status != http.StatusForbidden {
		t.Errorf("developer GET /access = %d, want 403", res.status)
	}
	if dev.get("/").doc.Find("[data-testid=nav] a[href='/access']").Length() != 0 {
		t.Error("the developer's navigation offers Access")
	}
	admin := signedInAs(t, p, "admin@harbor.test")
	if res := admin.get("/access"); res.status != http.StatusOK || res.doc.Find("[data-testid=nav] a[href='/access'][aria-current=page]").Length() != 1 {
		t.Errorf("partner admin GET /access = %d, or the navigation lacks Access", res.status)
	}

	signedOut := p.browser(t)
	for _, path := range []string{"/access-groups", groupPath(group), "/access"} {
		if res := signedOut.get(path); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/sign-in?next=") {
			t.Errorf("signed out GET %s = %d to %q, want 303 to sign-in", path, res.status, res.header.Get("Location"))
		}
	}
	if res := signedOut.post("/access-groups", groupForm("Sneaky", "1", "")); res.status != http.StatusUnauthorized {
		t.Errorf("signed out POST /access-groups = %d, want 401", res.status)
	}
}

func TestCreateAndEditAccessGroup(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	am := signedInAs(t, p, "am@portico.test")

	empty := am.get("/access-groups")
	if got := text(empty, "[data-testid=no-access-groups]"); !strings.Contains(got, "No access groups yet") || !strings.Contains(got, "bundles APIs") {
		t.Errorf("empty state = %q, want it to explain what an access group is", got)
	}
	if got := empty.doc.Find("[data-testid=create-access-group] input[name=rate_limit_per_minute]").AttrOr("value", ""); got != "600" {
		t.Errorf("default rate = %q, want 600", got)
	}

	for _, tc := range []struct {
		name              string
		gname, rate, quot string
		sel, want         string
	}{
		{"blank name", " ", "600", "", "[data-testid=name-error]", "Enter a name"},
		{"zero rate", "Readers", "0", "", "[data-testid=rate-error]", "from 1 to 100000"},
		{"rate too high", "Readers", "100001", "", "[data-testid=rate-error]", "from 1 to 100000"},
		{"rate not a number", "Readers", "lots", "", "[data-testid=rate-error]", "whole number"},
		{"zero quota", "Readers", "600", "0", "[data-testid=quota-error]", "leave it blank for no monthly quota"},
		{"quota too high", "Readers", "600", "1000000000001", "[data-testid=quota-error]", "from 1 to 1000000000000"},
	} {
		res := am.post("/access-groups", groupForm(tc.gname, tc.rate, tc.quot))
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, tc.sel), tc.want) {
			t.Errorf("%s: = %d %q, want 422 with %q", tc.name, res.status, text(res, tc.sel), tc.want)
		}
		if got := res.doc.Find("[data-testid=create-access-group] input[name=rate_limit_per_minute]").AttrOr("value", ""); got != tc.rate {
			t.Errorf("%s: the form lost the typed rate: %q", tc.name, got)
		}
	}
	if got := p.count(t, `SELECT count(*) FROM access_groups`); got != 0 {
		t.Fatalf("%d groups stored after refusals, want 0", got)
	}

	id := createGroup(t, am, "  Fleet readers ")
	pg := am.get(groupPath(id))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Access group Fleet readers created.") {
		t.Errorf("flash after create = %q", got)
	}
	if got := text(pg, "[data-testid=access-group-name]"); got != "Fleet readers" {
		t.Errorf("heading = %q, want the trimmed name", got)
	}
	if got := text(pg, "hgroup [data-testid=quota]"); got != "no quota" {
		t.Errorf("quota = %q, want no quota", got)
	}
	if res := am.post("/access-groups", groupForm("FLEET READERS", "600", "")); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(text(res, "[data-testid=name-error]"), "exists already") {
		t.Errorf("duplicate name = %d %q, want 422 saying it exists", res.status, text(res, "[data-testid=name-error]"))
	}

	// Edit: refused, then saved.
	other := createGroup(t, am, "Writers")
	if res := am.post(groupPath(other), groupForm("fleet Readers", "60", "")); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(text(res, "[data-testid=edit-access-group] [data-testid=name-error]"), "exists already") {
		t.Errorf("rename to a taken name = %d", res.status)
	}
	if res := am.post(groupPath(id), groupForm("Fleet readers", "60", "-1")); res.status != http.StatusUnprocessableEntity ||
		text(res, "[data-testid=edit-access-group] [data-testid=quota-error]") == "" {
		t.Errorf("edit with a bad quota = %d", res.status)
	}
	res := am.post(groupPath(id), groupForm("Fleet readers", "1,200", "250000"))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != groupPath(id) {
		t.Fatalf("edit = %d to %q", res.status, res.header.Get("Location"))
	}
	pg = am.get(groupPath(id))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "saved") {
		t.Errorf("flash after edit = %q", got)
	}
	if got, want := text(pg, "hgroup [data-testid=rate-limit]")+" / "+text(pg, "hgroup [data-testid=quota]"), "1,200 requests per minute / 250,000 requests per month"; got != want {
		t.Errorf("limits = %q, want %q", got, want)
	}
	if got := pg.doc.Find("[data-testid=edit-access-group] input[name=monthly_quota]").AttrOr("value", ""); got != "250000" {
		t.Errorf("edit form quota = %q", got)
	}

	list := am.get("/access-groups")
	var names []string
	list.doc.Find("[data-testid=access-group]").Each(func(_ int, s *goquery.Selection) { names = append(names, s.AttrOr("data-name", "")) })
	if diff := cmp.Diff([]string{"Fleet readers", "Writers"}, names); diff != "" {
		t.Errorf("listed groups (-want +got):\n%s", diff)
	}
	if got := text(list, "[data-name=Writers] [data-testid=quota]"); got != "no quota" {
		t.Errorf("Writers quota = %q", got)
	}
	if got := text(list, "[data-name='Fleet readers'] [data-testid=open-grants]"); got != "0" {
		t.Errorf("open grants = %q, want 0", got)
	}
	if res := am.get("/access-groups/999999"); res.status != http.StatusNotFound {
		t.Errorf("unknown group = %d, want 404", res.status)
	}
}

func TestIncludeAPIWithScopes(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	am := signedInAs(t, p, "am@portico.test")
	p.importAPI(t, "yard")
	fleet := p.importAPI(t, "fleet")
	id := createGroup(t, am, "Yard ops")

	pg := am.get(groupPath(id))
	var offered []string
	pg.doc.Find("[data-testid=include-api][data-slug=yard] input[name=scope]").Each(func(_ int, s *goquery.Selection) {
		offered = append(offered, s.AttrOr("value", ""))
	})
	if diff := cmp.Diff([]string{"yard:read", "yard:write"}, offered); diff != "" {
		t.Errorf("scope checkboxes (-want +got):\n%s", diff)
	}

	include(t, am, id, "yard", "yard:read")
	pg = am.get(groupPath(id))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Yard ops now includes Yard API with yard:read.") {
		t.Errorf("flash = %q", got)
	}
	if pg.doc.Find("[data-testid=include-api][data-slug=yard] input[value='yard:read'][checked]").Length() != 1 ||
		pg.doc.Find("[data-testid=include-api][data-slug=yard] input[value='yard:write'][checked]").Length() != 0 {
		t.Error("the include form does not show which scopes are included")
	}

	for _, tc := range []struct {
		name   string
		scopes []string
		want   string
	}{
		{"unknown scope", []string{"yard:read", "yard:delete"}, "Yard API does not declare the scope yard:delete."},
		{"another API's scope", []string{"fleet:read"}, "does not declare the scope fleet:read"},
		{"no scope", nil, "Choose at least one scope of Yard API"},
	} {
		res := am.post(groupPath(id, "apis"), url.Values{"api": {"yard"}, "scope": tc.scopes})
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-slug=yard] [data-testid=include-error]"), tc.want) {
			t.Errorf("%s: = %d %q, want 422 with %q", tc.name, res.status, text(res, "[data-testid=include-error]"), tc.want)
		}
	}
	if got := p.count(t, `SELECT count(*) FROM access_group_apis WHERE access_group_id = $1 AND scopes = '{yard:read}'`, id); got != 1 {
		t.Error("a refused change altered the group's scopes")
	}
	if res := am.post(groupPath(id, "apis"), url.Values{"api": {"nope"}, "scope": {"x"}}); res.status != http.StatusNotFound {
		t.Errorf("unknown API = %d, want 404", res.status)
	}

	include(t, am, id, "fleet", "fleet:read", "fleet:write")
	include(t, am, id, "yard", "yard:write", "yard:read")
	list := am.get("/access-groups")
	var apis []string
	list.doc.Find("[data-name='Yard ops'] [data-testid=group-api]").Each(func(_ int, s *goquery.Selection) {
		apis = append(apis, s.AttrOr("data-slug", "")+" "+strings.Join(s.Find("[data-testid=group-scope]").Map(func(_ int, sc *goquery.Selection) string { return sc.Text() }), " "))
	})
	if diff := cmp.Diff([]string{"fleet fleet:read fleet:write", "yard yard:read yard:write"}, apis); diff != "" {
		t.Errorf("group list APIs (-want +got):\n%s", diff)
	}

	res := am.post(groupPath(id, "apis", "fleet", "remove"), nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("remove fleet = %d", res.status)
	}
	pg = am.get(groupPath(id))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Fleet API removed from Yard ops") {
		t.Errorf("flash after remove = %q", got)
	}
	if pg.doc.Find("[data-testid=include-api][data-slug=fleet] [data-testid=included]").Length() != 0 {
		t.Error("fleet is still shown as included")
	}
	if err := p.store.SetAPIStatus(context.Background(), fleet.ID, store.APIRetired, nil); err != nil {
		t.Fatal(err)
	}
	if res := am.post(groupPath(id, "apis"), url.Values{"api": {"fleet"}, "scope": {"fleet:read"}}); res.status != http.StatusUnprocessableEntity ||
		!strings.Contains(text(res, "[data-testid=include-error]"), "Fleet API is retired") {
		t.Errorf("include a retired API = %d %q, want 422 saying it is retired", res.status, text(res, "[data-testid=include-error]"))
	}
	if res := am.post(groupPath(id, "apis", "fleet", "remove"), nil); res.status != http.StatusSeeOther ||
		!strings.Contains(text(am.get(groupPath(id)), "[data-testid=flash]"), "does not include") {
		t.Errorf("remove again = %d, want a redirect saying it is not included", res.status)
	}
}

// grantWorld is a portal with the yard and fleet APIs, two groups (Yard
// read: yard:read; Fleet all: both fleet scopes) and Harbor's team
// "Integrations" holding the developer.
type grantWorld struct {
	p                 *portal
	am                *browser
	yardRead, fleet   int64
	team              int64
	dev, admin, crane int64
}

func newGrantWorld(t *testing.T) *grantWorld {
	t.Helper()
	p := newPortal(t, false)
	w := &grantWorld{p: p, am: signedInAs(t, p, "am@portico.test")}
	p.importAPI(t, "yard")
	p.importAPI(t, "fleet")
	w.yardRead = createGroup(t, w.am, "Yard read")
	include(t, w.am, w.yardRead, "yard", "yard:read")
	w.fleet = createGroup(t, w.am, "Fleet all")
	include(t, w.am, w.fleet, "fleet", "fleet:read", "fleet:write")
	admin := signedInAs(t, p, "admin@harbor.test")
	w.team = createTeam(t, admin, "Integrations")
	w.dev, w.admin, w.crane = p.userID(t, "dev@harbor.test"), p.userID(t, "admin@harbor.test"), p.userID(t, "dev@crane.test")
	if res := admin.post(teamPath(w.team, "members"), idValue(w.dev)); res.status != http.StatusSeeOther {
		t.Fatalf("add the developer to the team = %d", res.status)
	}
	return w
}

func grantIDs(pg page, sel string) []string {
	var out []string
	pg.doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr("data-id", "")) })
	return out
}

func TestGrantAndRevoke(t *testing.T) {
	t.Parallel()
	w := newGrantWorld(t)
	p, am := w.p, w.am

	pg := am.get(groupPath(w.yardRead))
	if pg.doc.Find("[data-testid=no-grants]").Length() != 1 {
		t.Error("no empty state for grants")
	}
	if pg.doc.Find("[data-testid=grantee-prompt]").Length() != 1 || pg.doc.Find("[data-testid=grantee-result]").Length() != 0 {
		t.Error("the grant picker lists grantees before any search")
	}
	var labels []string
	for _, find := range []string{"dan crane", "integrations"} {
		pg := am.get(groupPath(w.yardRead) + "?find=" + url.QueryEscape(find))
		pg.doc.Find("[data-testid=grantee-result]").Each(func(_ int, s *goquery.Selection) {
			labels = append(labels, s.AttrOr("data-value", "")+" "+strings.Join(strings.Fields(s.Text()), " "))
		})
	}
	want := []string{
		userValue(w.crane) + " Person Dan Crane dev@crane.test, Developer · Crane Works Grant",
		teamValue(w.team) + " Team Integrations · Harbor Logistics Grant",
	}
	if diff := cmp.Diff(want, labels); diff != "" {
		t.Errorf("grant choices (-want +got):\n%s", diff)
	}

	// A team grant reaches the developer through the team.
	res := grant(am, w.yardRead, teamValue(w.team))
	if res.status != http.StatusSeeOther {
		t.Fatalf("grant to team = %d: %s", res.status, text(res, "[data-testid=grant-error]"))
	}
	pg = am.get(groupPath(w.yardRead))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Yard read granted to team Integrations of Harbor Logistics.") {
		t.Errorf("flash = %q", got)
	}
	if got := text(pg, "[data-testid=grant] [data-testid=grantee]"); !strings.Contains(got, "Integrations") || !strings.Contains(text(pg, "[data-testid=grant]"), "Morgan Account") {
		t.Errorf("grant row = %q, want the team and who granted it", text(pg, "[data-testid=grant]"))
	}
	// A personal grant of the other group.
	if res := grant(am, w.fleet, userValue(w.dev)); res.status != http.StatusSeeOther {
		t.Fatalf("grant to developer = %d: %s", res.status, text(res, "[data-testid=grant-error]"))
	}
	if diff := cmp.Diff([]string{"fleet fleet:read fleet:write", "yard yard:read"}, p.effective(t, "dev@harbor.test")); diff != "" {
		t.Errorf("developer's effective access (-want +got):\n%s", diff)
	}
	if got := p.effective(t, "admin@harbor.test"); len(got) != 0 {
		t.Errorf("the admin, in no team and without a grant, reaches %v", got)
	}

	// The partner admin sees both grants and who reaches what.
	admin := signedInAs(t, p, "admin@harbor.test")
	acc := admin.get("/access")
	var groups []string
	acc.doc.Find("[data-testid=granted-group]").Each(func(_ int, s *goquery.Selection) {
		groups = append(groups, s.AttrOr("data-name", "")+": "+strings.Join(strings.Fields(s.Find("[data-testid=granted-to]").Text()), " "))
	})
	if len(groups) != 2 || !strings.HasPrefix(groups[0], "Fleet all: Person Dev Harbor since") || !strings.HasPrefix(groups[1], "Yard read: Team Integrations since") {
		t.Errorf("granted groups = %q", groups)
	}
	if got := text(acc, "[data-name='Fleet all'] [data-testid=group-api]"); !strings.Contains(got, "fleet:read") || !strings.Contains(got, "fleet:write") {
		t.Errorf("Fleet all APIs on /access = %q", got)
	}
	if got := text(acc, "[data-name='Yard read'] [data-testid=rate-limit]"); got != "600 requests per minute" {
		t.Errorf("limits on /access = %q", got)
	}
	if diff := cmp.Diff([]string{"fleet fleet:read fleet:write", "yard yard:read"}, reach(acc, "dev@harbor.test")); diff != "" {
		t.Errorf("developer's reach on /access (-want +got):\n%s", diff)
	}
	if acc.doc.Find("[data-testid=member-access][data-email='admin@harbor.test'] [data-testid=reaches-nothing]").Length() != 1 {
		t.Error("the admin's row does not say they reach nothing")
	}

	// Including another scope widens at once.
	include(t, am, w.yardRead, "yard", "yard:read", "yard:write")
	if diff := cmp.Diff([]string{"fleet fleet:read fleet:write", "yard yard:read yard:write"}, p.effective(t, "dev@harbor.test")); diff != "" {
		t.Errorf("after widening the group (-want +got):\n%s", diff)
	}

	// Revoking narrows at once.
	ids := grantIDs(am.get(groupPath(w.fleet)), "[data-testid=grant]")
	if len(ids) != 1 {
		t.Fatalf("open grants of Fleet all = %v", ids)
	}
	res = am.post(groupPath(w.fleet, "grants", ids[0], "revoke"), nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != groupPath(w.fleet) {
		t.Fatalf("revoke = %d to %q", res.status, res.header.Get("Location"))
	}
	pg = am.get(groupPath(w.fleet))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Fleet all revoked from Dev Harbor (Harbor Logistics).") {
		t.Errorf("flash after revoke = %q", got)
	}
	if pg.doc.Find("[data-testid=grant]").Length() != 0 || pg.doc.Find("[data-testid=revoked-grants] [data-testid=revoked-grant]").Length() != 1 {
		t.Error("the revoked grant is not moved to the revoked list")
	}
	if got := text(pg, "[data-testid=revoked-grant]"); !strings.Contains(got, "Dev Harbor") || strings.Count(got, "Morgan Account") != 2 {
		t.Errorf("revoked row = %q, want the grantee and who granted and revoked", got)
	}
	if diff := cmp.Diff([]string{"yard yard:read yard:write"}, p.effective(t, "dev@harbor.test")); diff != "" {
		t.Errorf("after revoking (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"yard yard:read yard:write"}, reach(admin.get("/access"), "dev@harbor.test")); diff != "" {
		t.Errorf("reach on /access after revoking (-want +got):\n%s", diff)
	}
	if res := am.post(groupPath(w.fleet, "grants", ids[0], "revoke"), nil); res.status != http.StatusSeeOther ||
		!strings.Contains(text(am.get(groupPath(w.fleet)), "[data-testid=flash]"), "revoked already") {
		t.Errorf("revoke twice = %d", res.status)
	}
	// A grant id through another group's URL is not found.
	yardGrant := grantIDs(am.get(groupPath(w.yardRead)), "[data-testid=grant]")
	if res := am.post(groupPath(w.fleet, "grants", yardGrant[0], "revoke"), nil); res.status != http.StatusNotFound {
		t.Errorf("revoke through another group = %d, want 404", res.status)
	}
	if got := p.count(t, `SELECT count(*) FROM grants WHERE revoked_at IS NULL`); got != 1 {
		t.Errorf("open grants = %d, want the team's only", got)
	}

	// Taking the developer out of the team narrows too.
	if res := admin.post(teamPath(w.team, "members", strconv.FormatInt(w.dev, 10), "remove"), nil); res.status != http.StatusSeeOther {
		t.Fatalf("remove from team = %d", res.status)
	}
	if got := p.effective(t, "dev@harbor.test"); len(got) != 0 {
		t.Errorf("after leaving the team the developer reaches %v", got)
	}
}

func TestGrantRefusals(t *testing.T) {
	t.Parallel()
	w := newGrantWorld(t)
	p, am := w.p, w.am
	harbor, err := p.store.PartnerBySlug(context.Background(), "harbor-logistics")
	if err != nil {
		t.Fatal(err)
	}
	if res := grant(am, w.yardRead, userValue(w.dev)); res.status != http.StatusSeeOther {
		t.Fatalf("first grant = %d", res.status)
	}
	staffID := p.userID(t, "am@portico.test")
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no choice", url.Values{"grantee": {""}}, "Choose a team or a person"},
		{"garbled choice", url.Values{"grantee": {"partner:1"}}, "Choose a team or a person"},
		{"user of another partner", url.Values{"grantee": {userValue(w.crane)}, "partner_id": {strconv.FormatInt(harbor.ID, 10)}},
			"Dan Crane is not part of Harbor Logistics but of Crane Works"},
		{"duplicate", url.Values{"grantee": {userValue(w.dev)}}, "Dev Harbor of Harbor Logistics holds Yard read already."},
		{"staff member", url.Values{"grantee": {userValue(staffID)}}, "not a member of any partner"},
		{"unknown team", url.Values{"grantee": {"team:999999"}}, "That team does not exist"},
	} {
		res := am.post(groupPath(w.yardRead, "grants"), tc.form)
		if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=grant-error]"), tc.want) {
			t.Errorf("%s: = %d %q, want 422 with %q", tc.name, res.status, text(res, "[data-testid=grant-error]"), tc.want)
		}
	}
	// A removed member cannot be granted, and is no longer offered.
	admin := signedInAs(t, p, "admin@harbor.test")
	if res := admin.post("/members/"+strconv.FormatInt(w.dev, 10)+"/remove", nil); res.status != http.StatusSeeOther {
		t.Fatalf("remove the developer = %d", res.status)
	}
	res := grant(am, w.fleet, userValue(w.dev))
	if res.status != http.StatusUnprocessableEntity || !strings.Contains(text(res, "[data-testid=grant-error]"), "Dev Harbor was removed from Harbor Logistics") {
		t.Errorf("grant to a removed member = %d %q", res.status, text(res, "[data-testid=grant-error]"))
	}
	if am.get(groupPath(w.fleet)+"?find=harbor").doc.Find("[data-testid=grantee-result][data-value='"+userValue(w.dev)+"']").Length() != 0 {
		t.Error("a removed member is offered in the grant form")
	}
	if got := text(am.get(groupPath(w.yardRead)), "[data-testid=grant] [data-testid=grantee]"); !strings.Contains(got, "reaches nobody") {
		t.Errorf("the removed member's open grant = %q, want it marked as reaching nobody", got)
	}
	if got := p.count(t, `SELECT count(*) FROM grants`); got != 1 {
		t.Errorf("grants stored = %d, want only the first", got)
	}
	if res := grant(am, 999999, teamValue(w.team)); res.status != http.StatusNotFound {
		t.Errorf("grant an unknown group = %d, want 404", res.status)
	}
}

func TestAccessShowsOnlyOwnPartner(t *testing.T) {
	t.Parallel()
	w := newGrantWorld(t)
	if res := grant(w.am, w.yardRead, teamValue(w.team)); res.status != http.StatusSeeOther {
		t.Fatal(res.status)
	}
	if res := grant(w.am, w.fleet, userValue(w.crane)); res.status != http.StatusSeeOther {
		t.Fatal(res.status)
	}
	for _, tc := range []struct {
		who, group, member, stranger string
	}{
		{"admin@harbor.test", "Yard read", "dev@harbor.test", "dev@crane.test"},
		{"admin@crane.test", "Fleet all", "dev@crane.test", "dev@harbor.test"},
	} {
		pg := signedInAs(t, w.p, tc.who).get("/access")
		var groups []string
		pg.doc.Find("[data-testid=granted-group]").Each(func(_ int, s *goquery.Selection) { groups = append(groups, s.AttrOr("data-name", "")) })
		if diff := cmp.Diff([]string{tc.group}, groups); diff != "" {
			t.Errorf("%s: granted groups (-want +got):\n%s", tc.who, diff)
		}
		if pg.doc.Find("[data-testid=member-access][data-email='"+tc.member+"']").Length() != 1 ||
			pg.doc.Find("[data-testid=member-access][data-email='"+tc.stranger+"']").Length() != 0 {
			t.Errorf("%s: the member table is not limited to the own partner", tc.who)
		}
		if strings.Contains(pg.doc.Find("main").Text(), tc.stranger) {
			t.Errorf("%s: the page mentions %s", tc.who, tc.stranger)
		}
	}
	if got := text(signedInAs(t, w.p, "admin@crane.test").get("/access"), "[data-testid=granted-grantee]"); !strings.Contains(got, "Dan Crane") {
		t.Errorf("Crane's grantee = %q", got)
	}
}

func TestDeleteAccessGroup(t *testing.T) {
	t.Parallel()
	w := newGrantWorld(t)
	am := w.am
	if res := grant(am, w.yardRead, teamValue(w.team)); res.status != http.StatusSeeOther {
		t.Fatal(res.status)
	}
	if res := grant(am, w.yardRead, userValue(w.crane)); res.status != http.StatusSeeOther {
		t.Fatal(res.status)
	}
	confirm := am.get(groupPath(w.yardRead, "delete"))
	if got := text(confirm, "[data-testid=delete-refusal]"); !strings.Contains(got, "Yard read is still granted to Crane Works, Harbor Logistics.") {
		t.Errorf("delete page refusal = %q", got)
	}
	if confirm.doc.Find("[data-testid=confirm-delete-button]").Length() != 0 {
		t.Error("the delete page offers to delete a group partners hold")
	}
	if got := text(confirm, "[data-testid=holding-partners]"); !strings.Contains(got, "Crane Works") || !strings.Contains(got, "Harbor Logistics") {
		t.Errorf("holding partners = %q", got)
	}
	if res := am.post(groupPath(w.yardRead, "delete"), nil); res.status != http.StatusConflict || text(res, "[data-testid=delete-refusal]") == "" {
		t.Errorf("delete while granted = %d, want 409 with the refusal", res.status)
	}
	if got := w.p.count(t, `SELECT count(*) FROM grants WHERE revoked_at IS NULL`); got != 2 {
		t.Errorf("open grants = %d after the refused deletion, want 2", got)
	}
	for _, id := range grantIDs(am.get(groupPath(w.yardRead)), "[data-testid=grant]") {
		if res := am.post(groupPath(w.yardRead, "grants", id, "revoke"), nil); res.status != http.StatusSeeOther {
			t.Fatalf("revoke %s = %d", id, res.status)
		}
	}
	confirm = am.get(groupPath(w.yardRead, "delete"))
	if confirm.doc.Find("[data-testid=confirm-delete-access-group] form").AttrOr("method", "") != "post" {
		t.Fatal("no delete form once nobody holds the group")
	}
	res := am.post(groupPath(w.yardRead, "delete"), nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/access-groups" {
		t.Fatalf("delete = %d to %q", res.status, res.header.Get("Location"))
	}
	list := am.get("/access-groups")
	if got := text(list, "[data-testid=flash]"); !strings.Contains(got, "Access group Yard read deleted.") {
		t.Errorf("flash = %q", got)
	}
	if list.doc.Find("[data-name='Yard read']").Length() != 0 {
		t.Error("the deleted group is still listed")
	}
	if res := am.get(groupPath(w.yardRead)); res.status != http.StatusNotFound {
		t.Errorf("deleted group's page = %d, want 404", res.status)
	}
}
