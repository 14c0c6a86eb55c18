package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
)

// createTeam creates a team as b and returns its id, taken from the
// redirect to the new team's page.
func createTeam(t *testing.T, b *browser, name string) int64 {
	t.Helper()
	res := b.post("/teams", url.Values{"name": {name}})
	loc := res.header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/teams/"), 10, 64)
	if res.status != http.StatusSeeOther || err != nil {
		t.Fatalf("create team %q = %d to %q, want 303 to its page", name, res.status, loc)
	}
	return id
}

func teamPath(id int64, rest ...string) string {
	return strings.Join(append([]string{"/teams/" + strconv.FormatInt(id, 10)}, rest...), "/")
}

func idValue(id int64) url.Values { return url.Values{"user_id": {strconv.FormatInt(id, 10)}} }

func teamMemberEmails(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=team-member]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-email", ""))
	})
	return out
}

func candidateIDs(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=candidate]").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-id", ""))
	})
	return out
}

// memberTeams is the Teams column of a member's row on /members.
func memberTeams(pg page, email string) string {
	got := strings.Join(strings.Fields(pg.doc.Find("[data-testid=member][data-email='"+email+"'] td:nth-child(4)").Text()), " ")
	return strings.ReplaceAll(got, " ,", ",")
}

func (p *portal) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := p.store.DB().Get(&n, query, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTeamsAccess(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	team := createTeam(t, admin, "Platform")

	pg := admin.get("/teams")
	if pg.status != http.StatusOK || pg.doc.Find("[data-testid=team]").Length() != 1 {
		t.Fatalf("partner admin GET /teams = %d with %d teams", pg.status, pg.doc.Find("[data-testid=team]").Length())
	}
	if got := pg.doc.Find("[data-testid=nav] a[href='/teams']").Length(); got != 1 {
		t.Error("partner admin's navigation lacks Teams")
	}

	for _, tc := range []struct {
		who    string
		status int
	}{
		{"dev@harbor.test", http.StatusForbidden},
		{"am@portico.test", http.StatusForbidden},
		{"admin@portico.test", http.StatusForbidden},
	} {
		t.Run(tc.who, func(t *testing.T) {
			b := signedInAs(t, p, tc.who)
			for _, r := range []struct{ method, path string }{
				{"GET", "/teams"},
				{"POST", "/teams"},
				{"GET", teamPath(team)},
				{"POST", teamPath(team, "rename")},
				{"GET", teamPath(team, "delete")},
				{"POST", teamPath(team, "delete")},
				{"POST", teamPath(team, "members")},
				{"POST", teamPath(team, "members", strconv.FormatInt(p.userID(t, "dev@harbor.test"), 10), "remove")},
			} {
				var res page
				if r.method == "GET" {
					res = b.get(r.path)
				} else {
					res = b.post(r.path, url.Values{"name": {"Taken over"}, "user_id": {"1"}})
				}
				if res.status != tc.status {
					t.Errorf("%s %s = %d, want %d", r.method, r.path, res.status, tc.status)
				}
			}
			if n := b.get("/").doc.Find("[data-testid=nav] a[href='/teams']").Length(); n != 0 {
				t.Error("navigation offers Teams")
			}
		})
	}

	signedOut := p.browser(t)
	if res := signedOut.get("/teams"); res.status != http.StatusSeeOther || res.header.Get("Location") != "/sign-in?next=%2Fteams" {
		t.Errorf("signed out GET /teams = %d to %q, want 303 to sign-in", res.status, res.header.Get("Location"))
	}
	if res := signedOut.get(teamPath(team)); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/sign-in?next=") {
		t.Errorf("signed out GET %s = %d to %q, want 303 to sign-in", teamPath(team), res.status, res.header.Get("Location"))
	}
	if res := signedOut.post("/teams", url.Values{"name": {"Sneaky"}}); res.status != http.StatusUnauthorized {
		t.Errorf("signed out POST /teams = %d, want 401", res.status)
	}
	if got := p.count(t, `SELECT count(*) FROM teams`); got != 1 {
		t.Errorf("teams stored = %d, want only Platform", got)
	}
	var name string
	if err := p.store.DB().Get(&name, `SELECT name FROM teams WHERE id = $1`, team); err != nil || name != "Platform" {
		t.Errorf("team name = %q (%v), want Platform unchanged", name, err)
	}
}

func TestCreateRenameDeleteTeam(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")

	empty := admin.get("/teams")
	if got := text(empty, "[data-testid=no-teams]"); !strings.Contains(got, "No teams yet") || !strings.Contains(got, "Create the first team") {
		t.Errorf("empty state = %q, want it to say what teams are for and what to do", got)
	}

	id := createTeam(t, admin, "  Fleet integration ")
	pg := admin.get(teamPath(id))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Team Fleet integration created.") {
		t.Errorf("flash after create = %q", got)
	}
	if got := text(pg, "[data-testid=team-name]"); got != "Fleet integration" {
		t.Errorf("team page heading = %q, want the trimmed name", got)
	}
	if pg.doc.Find("[data-testid=no-team-members]").Length() != 1 {
		t.Error("a new team's page has no empty state for members")
	}
	list := admin.get("/teams")
	if got := list.doc.Find("[data-testid=team]").AttrOr("data-name", ""); got != "Fleet integration" {
		t.Errorf("listed team = %q", got)
	}
	if got := text(list, "[data-testid=team-member-count]"); got != "0" {
		t.Errorf("member count = %q, want 0", got)
	}

	for _, name := range []string{"Fleet", "FLEET"} {
		res := admin.post(teamPath(id, "rename"), url.Values{"name": {name}})
		if res.status != http.StatusSeeOther || res.header.Get("Location") != teamPath(id) {
			t.Fatalf("rename to %q = %d to %q", name, res.status, res.header.Get("Location"))
		}
		pg := admin.get(teamPath(id))
		if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Team renamed to "+name+".") {
			t.Errorf("flash after rename to %q = %q", name, got)
		}
		if got := pg.doc.Find("[data-testid=rename-team] input[name=name]").AttrOr("value", ""); got != name {
			t.Errorf("rename field = %q, want %q", got, name)
		}
	}

	confirm := admin.get(teamPath(id, "delete"))
	if confirm.status != http.StatusOK || confirm.doc.Find("[data-testid=confirm-delete-team-button]").Length() != 1 {
		t.Fatalf("delete confirmation = %d", confirm.status)
	}
	if got := confirm.doc.Find("[data-testid=confirm-delete-team] form").AttrOr("method", ""); got != "post" {
		t.Errorf("delete confirmation form method = %q, want post", got)
	}
	if admin.get(teamPath(id)).doc.Find("[data-testid=delete-team][href='"+teamPath(id, "delete")+"']").Length() != 1 {
		t.Error("the team page does not link to the delete confirmation")
	}
	res := admin.post(teamPath(id, "delete"), nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/teams" {
		t.Fatalf("delete = %d to %q", res.status, res.header.Get("Location"))
	}
	after := admin.get("/teams")
	if got := text(after, "[data-testid=flash]"); !strings.Contains(got, "Team FLEET deleted.") {
		t.Errorf("flash after delete = %q", got)
	}
	if after.doc.Find("[data-testid=no-teams]").Length() != 1 {
		t.Error("the deleted team is still listed")
	}
	if res := admin.get(teamPath(id)); res.status != http.StatusNotFound {
		t.Errorf("deleted team's page = %d, want 404", res.status)
	}
	if got := p.count(t, `SELECT count(*) FROM teams`); got != 0 {
		t.Errorf("teams stored after delete = %d", got)
	}
}

func TestTeamNameRefusals(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	createTeam(t, admin, "Platform")
	other := createTeam(t, admin, "Mobile")
	// Crane Works may have a team of the same name: names are per partner.
	createTeam(t, signedInAs(t, p, "admin@crane.test"), "Tooling")

	long := strings.Repeat("x", 101)
	for _, tc := range []struct {
		name, path, value, want string
	}{
		{"create empty", "/teams", "", "Enter a team name (up to 100 characters)."},
		{"create blank", "/teams", "   ", "Enter a team name (up to 100 characters)."},
		{"create too long", "/teams", long, "Enter a team name (up to 100 characters)."},
		{"create duplicate", "/teams", "platform", "A team named platform exists already."},
		{"create duplicate trimmed", "/teams", " PLATFORM ", "A team named PLATFORM exists already."},
		{"rename empty", teamPath(other, "rename"), " ", "Enter a team name (up to 100 characters)."},
		{"rename too long", teamPath(other, "rename"), long, "Enter a team name (up to 100 characters)."},
		{"rename duplicate", teamPath(other, "rename"), "Platform", "A team named Platform exists already."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := admin.post(tc.path, url.Values{"name": {tc.value}})
			if got := text(res, "[data-testid=team-name-error]"); res.status != http.StatusUnprocessableEntity || got != tc.want {
				t.Errorf("= %d %q, want 422 with %q", res.status, got, tc.want)
			}
			if got := res.doc.Find("input[name=name][aria-invalid]").AttrOr("value", "<none>"); got != tc.value {
				t.Errorf("name field = %q, want what was typed, %q", got, tc.value)
			}
		})
	}
	if res := admin.post("/teams", url.Values{"name": {"Tooling"}}); res.status != http.StatusSeeOther {
		t.Errorf("a name another partner uses = %d, want 303", res.status)
	}
	var names []string
	if err := p.store.DB().Select(&names, `SELECT t.name FROM teams t JOIN partners p ON p.id = t.partner_id
		WHERE p.slug = 'harbor-logistics' ORDER BY t.id`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Platform", "Mobile", "Tooling"}, names); diff != "" {
		t.Errorf("harbor's teams (-want +got):\n%s", diff)
	}
}

func TestTeamMembership(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	dev, self := p.userID(t, "dev@harbor.test"), p.userID(t, "admin@harbor.test")
	platform := createTeam(t, admin, "Platform")
	apps := createTeam(t, admin, "Apps")

	pg := admin.get(teamPath(platform))
	if diff := cmp.Diff([]string{strconv.FormatInt(self, 10), strconv.FormatInt(dev, 10)}, candidateIDs(pg)); diff != "" {
		t.Errorf("candidates of an empty team (-want +got):\n%s", diff)
	}
	// Not choosing anyone is a form error.
	for _, v := range []string{"", "abc"} {
		res := admin.post(teamPath(platform, "members"), url.Values{"user_id": {v}})
		if got := text(res, "[data-testid=add-member-error]"); res.status != http.StatusUnprocessableEntity || got != "Choose the member to add to the team." {
			t.Errorf("add %q = %d %q, want 422 asking to choose", v, res.status, got)
		}
	}

	for _, id := range []int64{dev, self} {
		if res := admin.post(teamPath(platform, "members"), idValue(id)); res.status != http.StatusSeeOther || res.header.Get("Location") != teamPath(platform) {
			t.Fatalf("add %d = %d to %q", id, res.status, res.header.Get("Location"))
		}
	}
	pg = admin.get(teamPath(platform))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Ada Harbor added to Platform.") {
		t.Errorf("flash after add = %q", got)
	}
	if diff := cmp.Diff([]string{"admin@harbor.test", "dev@harbor.test"}, teamMemberEmails(pg)); diff != "" {
		t.Errorf("team members (-want +got):\n%s", diff)
	}
	if len(candidateIDs(pg)) != 0 || pg.doc.Find("[data-testid=no-candidates]").Length() != 1 {
		t.Errorf("candidates of a full team = %v, want none and a note", candidateIDs(pg))
	}
	if got := text(pg, "[data-testid=team-member-count]"); got != "2 members" {
		t.Errorf("member count on the team page = %q", got)
	}
	if got := pg.doc.Find("[data-testid=team-member] a[data-testid=remove-team-member]").Length(); got != 2 {
		t.Errorf("%d links to remove a member (each to a page that asks first), want 2", got)
	}

	// Adding someone twice changes nothing and says so.
	admin.post(teamPath(platform, "members"), idValue(dev))
	if got := text(admin.get(teamPath(platform)), "[data-testid=flash]"); !strings.Contains(got, "Dev Harbor is in Platform already.") {
		t.Errorf("flash after adding twice = %q", got)
	}
	if got := p.count(t, `SELECT count(*) FROM team_memberships WHERE team_id = $1`, platform); got != 2 {
		t.Errorf("memberships = %d, want 2", got)
	}

	list := admin.get("/teams")
	row := list.doc.Find("[data-testid=team][data-name=Platform]")
	if got := strings.TrimSpace(row.Find("[data-testid=team-member-count]").Text()); got != "2" {
		t.Errorf("Platform's member count on /teams = %q, want 2", got)
	}
	if got := strings.Join(strings.Fields(row.Find("[data-testid=team-member-names]").Text()), " "); got != "Ada Harbor, Dev Harbor" {
		t.Errorf("Platform's members on /teams = %q", got)
	}

	admin.post(teamPath(apps, "members"), idValue(dev))
	members := admin.get("/members")
	if got := memberTeams(members, "dev@harbor.test"); got != "Apps, Platform" {
		t.Errorf("dev's teams on /members = %q, want Apps, Platform", got)
	}
	if got := memberTeams(members, "admin@harbor.test"); got != "Platform" {
		t.Errorf("admin's teams on /members = %q, want Platform", got)
	}

	res := admin.post(teamPath(platform, "members", strconv.FormatInt(dev, 10), "remove"), nil)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != teamPath(platform) {
		t.Fatalf("remove = %d to %q", res.status, res.header.Get("Location"))
	}
	pg = admin.get(teamPath(platform))
	if got := text(pg, "[data-testid=flash]"); !strings.Contains(got, "Dev Harbor removed from Platform; they stay a member of Harbor Logistics.") {
		t.Errorf("flash after remove = %q", got)
	}
	if diff := cmp.Diff([]string{"admin@harbor.test"}, teamMemberEmails(pg)); diff != "" {
		t.Errorf("team members after remove (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{strconv.FormatInt(dev, 10)}, candidateIDs(pg)); diff != "" {
		t.Errorf("candidates after remove (-want +got):\n%s", diff)
	}
	admin.post(teamPath(platform, "members", strconv.FormatInt(dev, 10), "remove"), nil)
	if got := text(admin.get(teamPath(platform)), "[data-testid=flash]"); !strings.Contains(got, "Dev Harbor is not in Platform.") {
		t.Errorf("flash after removing twice = %q", got)
	}
	members = admin.get("/members")
	if got := memberTeams(members, "dev@harbor.test"); got != "Apps" {
		t.Errorf("dev's teams on /members after remove = %q, want Apps", got)
	}
	if diff := cmp.Diff([]string{"admin@harbor.test", "dev@harbor.test"}, memberEmails(members)); diff != "" {
		t.Errorf("removing from a team changed the partner's members (-want +got):\n%s", diff)
	}
}

func TestDeleteTeamKeepsMembers(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@harbor.test")
	team := createTeam(t, admin, "Platform")
	for _, email := range []string{"admin@harbor.test", "dev@harbor.test"} {
		admin.post(teamPath(team, "members"), idValue(p.userID(t, email)))
	}
	confirm := admin.get(teamPath(team, "delete"))
	if got := text(confirm, "[data-testid=delete-team-effect]"); !strings.Contains(got, "2 members") || !strings.Contains(got, "stay members of Harbor Logistics") {
		t.Errorf("confirmation = %q, want it to say the 2 members stay", got)
	}
	admin.post(teamPath(team, "delete"), nil)
	members := admin.get("/members")
	if got := text(members, "[data-testid=flash]"); !strings.Contains(got, "Team Platform deleted. Its 2 members stay members of Harbor Logistics.") {
		t.Errorf("flash = %q", got)
	}
	if diff := cmp.Diff([]string{"admin@harbor.test", "dev@harbor.test"}, memberEmails(members)); diff != "" {
		t.Errorf("members after deleting their team (-want +got):\n%s", diff)
	}
	if got := memberTeams(members, "dev@harbor.test"); got != "No team" {
		t.Errorf("dev's teams = %q, want No team", got)
	}
	if got := p.count(t, `SELECT count(*) FROM users WHERE email IN ('admin@harbor.test', 'dev@harbor.test') AND status = 'active'`); got != 2 {
		t.Errorf("active users = %d, want 2", got)
	}
	if got := p.count(t, `SELECT count(*) FROM team_memberships`); got != 0 {
		t.Errorf("memberships left = %d", got)
	}
	// The deleted team's member can still sign in and use the portal.
	if res := signedInAs(t, p, "dev@harbor.test").get("/"); res.status != http.StatusOK {
		t.Errorf("member of a deleted team: home = %d", res.status)
	}
}

func TestCrossTenantTeamActionsAre404(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	crane := signedInAs(t, p, "admin@crane.test")
	craneTeam := createTeam(t, crane, "Cranes")
	craneDev := p.userID(t, "dev@crane.test")
	crane.post(teamPath(craneTeam, "members"), idValue(craneDev))

	harbor := signedInAs(t, p, "admin@harbor.test")
	harborTeam := createTeam(t, harbor, "Harbor")
	harborDev := p.userID(t, "dev@harbor.test")
	harbor.post(teamPath(harborTeam, "members"), idValue(harborDev))

	for _, tc := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", teamPath(craneTeam), nil},
		{"GET", teamPath(craneTeam, "delete"), nil},
		{"POST", teamPath(craneTeam, "rename"), url.Values{"name": {"Taken"}}},
		{"POST", teamPath(craneTeam, "delete"), nil},
		{"POST", teamPath(craneTeam, "members"), idValue(harborDev)},
		{"POST", teamPath(craneTeam, "members"), idValue(craneDev)},
		{"POST", teamPath(craneTeam, "members", strconv.FormatInt(craneDev, 10), "remove"), nil},
		// A crane user in a harbor team: the member is as unknown as a missing one.
		{"POST", teamPath(harborTeam, "members"), idValue(craneDev)},
		{"POST", teamPath(harborTeam, "members", strconv.FormatInt(craneDev, 10), "remove"), nil},
		{"POST", teamPath(harborTeam, "members"), idValue(999999)},
		{"GET", "/teams/999999", nil},
		{"GET", "/teams/abc", nil},
		{"POST", "/teams/999999/rename", url.Values{"name": {"Ghost"}}},
		{"POST", "/teams/0/delete", nil},
	} {
		var res page
		if tc.method == "GET" {
			res = harbor.get(tc.path)
		} else {
			res = harbor.post(tc.path, tc.form)
		}
		if res.status != http.StatusNotFound {
			t.Errorf("%s %s %v = %d, want 404", tc.method, tc.path, tc.form, res.status)
		}
	}
	if harbor.get("/teams").doc.Find("[data-testid=team][data-name=Cranes]").Length() != 0 {
		t.Error("harbor's teams page lists crane's team")
	}
	var name string
	if err := p.store.DB().Get(&name, `SELECT name FROM teams WHERE id = $1`, craneTeam); err != nil || name != "Cranes" {
		t.Errorf("crane's team = %q (%v), want it unchanged", name, err)
	}
	if got := p.count(t, `SELECT count(*) FROM team_memberships WHERE team_id = $1`, craneTeam); got != 1 {
		t.Errorf("crane's team has %d members, want its 1", got)
	}
	var ids []int64
	if err := p.store.DB().Select(&ids, `SELECT user_id FROM team_memberships WHERE team_id = $1`, harborTeam); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{harborDev}, ids); diff != "" {
		t.Errorf("harbor's team members (-want +got):\n%s", diff)
	}
	// Harbor's add-member select offers only Harbor's people.
	for _, id := range candidateIDs(harbor.get(teamPath(harborTeam))) {
		if id == strconv.FormatInt(craneDev, 10) || id == strconv.FormatInt(p.userID(t, "admin@crane.test"), 10) {
			t.Errorf("harbor's team offers crane's user %s", id)
		}
	}
}
