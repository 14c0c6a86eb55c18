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

// addStaffAM adds an account manager who manages no partner yet, signing
// in with the demo password.
func (p *portal) addStaffAM(t *testing.T, email, name string) int64 {
	t.Helper()
	var id int64
	err := p.store.DB().QueryRow(`
		INSERT INTO users (email, name, role, password_hash)
		SELECT $1, $2, 'account_manager', password_hash FROM users WHERE email = 'am@portico.test'
		RETURNING id`, email, name).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// managerNames are the account managers the partner page lists.
func managerNames(pg page) []string {
	var out []string
	pg.doc.Find("[data-testid=partner-manager] strong").Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.Text())
	})
	return out
}

// TestPartnerAssignment: an account manager sees and acts on the partners
// of their book only; a handover moves a partner from one book to another
// at once; the last account manager cannot leave, a platform admin can
// take them off, and the directory then lists the partner as needing one.
func TestPartnerAssignment(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	kimID := p.addStaffAM(t, "kim@portico.test", "Kim Keeper")
	harbor, crane := p.partnerID(t, "harbor-logistics"), p.partnerID(t, "crane-works")
	harborPage := "/partners/" + strconv.FormatInt(harbor, 10)
	kim := signedInAs(t, p, "kim@portico.test")
	morgan := signedInAs(t, p, "am@portico.test")
	admin := signedInAs(t, p, "admin@portico.test")

	// Kim manages nothing yet: an empty book, and Harbor is not there.
	pg := kim.get("/partners")
	if len(partnerSlugs(pg)) != 0 || !strings.Contains(text(pg, "[data-testid=no-partners]"), "You manage no partner yet") {
		t.Errorf("Kim's directory: %v, empty state %q", partnerSlugs(pg), text(pg, "[data-testid=no-partners]"))
	}
	for _, path := range []string{harborPage, harborPage + "/tokens", harborPage + "/usage", harborPage + "/suspend"} {
		if res := kim.get(path); res.status != http.StatusNotFound {
			t.Errorf("Kim GET %s = %d, want 404", path, res.status)
		}
	}
	if res := kim.post(harborPage+"/status", url.Values{"status": {"suspended"}}); res.status != http.StatusNotFound {
		t.Errorf("Kim suspends Harbor: %d, want 404", res.status)
	}
	if res := kim.post(harborPage+"/managers", url.Values{"user_id": {strconv.FormatInt(kimID, 10)}}); res.status != http.StatusNotFound {
		t.Errorf("Kim assigns herself Harbor: %d, want 404", res.status)
	}

	// The platform admin sees who manages what.
	pg = admin.get("/partners")
	if got := text(pg, "[data-slug=harbor-logistics] [data-testid=partner-managers]"); got != "Morgan Account" {
		t.Errorf("Harbor's account managers in the directory = %q", got)
	}
	if pg.doc.Find("[data-testid=unmanaged-notice]").Length() != 0 {
		t.Error("every partner is managed, yet the directory says some are not")
	}

	// Morgan hands Harbor over to Kim.
	pg = morgan.get(harborPage)
	if diff := cmp.Diff([]string{"Morgan Account"}, managerNames(pg)); diff != "" {
		t.Errorf("Harbor's managers (-want +got):\n%s", diff)
	}
	if pg.doc.Find("[data-testid=handover]").Length() != 1 {
		t.Fatal("Morgan is offered no handover")
	}
	res := morgan.post(harborPage+"/managers", url.Values{"user_id": {strconv.FormatInt(kimID, 10)}, "handover": {"1"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/partners" {
		t.Fatalf("handover = %d to %q", res.status, res.header.Get("Location"))
	}
	if got := text(morgan.get("/partners"), "[data-testid=flash]"); !strings.Contains(got, "Harbor Logistics is now managed by Kim Keeper") {
		t.Errorf("handover flash = %q", got)
	}
	if diff := cmp.Diff([]string{"crane-works"}, partnerSlugs(morgan.get("/partners"))); diff != "" {
		t.Errorf("Morgan's book after the handover (-want +got):\n%s", diff)
	}
	if res := morgan.get(harborPage); res.status != http.StatusNotFound {
		t.Errorf("Morgan GET Harbor after handing it over = %d, want 404", res.status)
	}
	if diff := cmp.Diff([]string{"harbor-logistics"}, partnerSlugs(kim.get("/partners"))); diff != "" {
		t.Errorf("Kim's book after the handover (-want +got):\n%s", diff)
	}
	if n := p.count(t, `SELECT count(*) FROM audit_events WHERE partner_id = $1 AND action IN ('partner.manager_assign', 'partner.manager_unassign')`, harbor); n != 2 {
		t.Errorf("handover audited %d times, want 2 (assign and unassign)", n)
	}

	// Kim is Harbor's only account manager: she cannot leave it.
	removeKim := harborPage + "/managers/" + strconv.FormatInt(kimID, 10) + "/remove"
	pg = kim.get(harborPage)
	if pg.doc.Find("[data-testid=remove-manager]").Length() != 0 {
		t.Error("the only account manager is offered to remove herself")
	}
	kim.post(removeKim, nil)
	if diff := cmp.Diff([]string{"Kim Keeper"}, managerNames(kim.get(harborPage))); diff != "" {
		t.Errorf("Harbor's managers after Kim tried to leave (-want +got):\n%s", diff)
	}

	// The platform admin takes Kim off, after a confirmation.
	confirm := admin.get(removeKim)
	if confirm.status != http.StatusOK || confirm.doc.Find("[data-testid=confirm-remove-manager]").Length() == 0 {
		t.Fatalf("confirmation = %d", confirm.status)
	}
	if res := admin.submit(confirm, "[data-testid=confirm-remove-manager] button[type=submit]"); res.status != http.StatusSeeOther {
		t.Fatalf("remove = %d", res.status)
	}
	if res := kim.get(harborPage); res.status != http.StatusNotFound {
		t.Errorf("Kim GET Harbor after being removed = %d, want 404", res.status)
	}
	pg = admin.get("/partners")
	if got := text(pg, "[data-testid=unmanaged-notice]"); !strings.Contains(got, "1 partner has no account manager") {
		t.Errorf("unmanaged notice = %q", got)
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?manager=none", []string{"harbor-logistics"}},
		{"?manager=" + strconv.FormatInt(p.userID(t, "am@portico.test"), 10), []string{"crane-works"}},
		{"?manager=" + strconv.FormatInt(kimID, 10), nil},
	} {
		if diff := cmp.Diff(tc.want, partnerSlugs(admin.get("/partners"+tc.query))); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.query, diff)
		}
	}
	// The staff page says how many partners each account manager has,
	// linked to the directory filtered by them.
	staff := admin.get("/staff")
	for _, tc := range []struct{ email, want string }{
		{"am@portico.test", "1 partner"}, {"kim@portico.test", "0 partners"}, {"admin@portico.test", "All"},
	} {
		if got := text(staff, "[data-email='"+tc.email+"'] [data-testid=staff-partners]"); got != tc.want {
			t.Errorf("staff page: %s manages %q, want %q", tc.email, got, tc.want)
		}
	}
	if href := staff.doc.Find("[data-email='am@portico.test'] [data-testid=staff-partners] a").AttrOr("href", ""); href != "/partners?manager="+strconv.FormatInt(p.userID(t, "am@portico.test"), 10) {
		t.Errorf("Morgan's partners link to %q", href)
	}
	if res := admin.get("/partners?manager=someone"); res.status != http.StatusBadRequest {
		t.Errorf("?manager=someone = %d, want 400", res.status)
	}
	// An account manager's directory is their book, whatever they ask.
	if diff := cmp.Diff([]string{"crane-works"}, partnerSlugs(morgan.get("/partners?manager=none"))); diff != "" {
		t.Errorf("Morgan asking for unmanaged partners (-want +got):\n%s", diff)
	}

	// Bad choices get a message, not a 500, and change nothing.
	cranePage := "/partners/" + strconv.FormatInt(crane, 10)
	for _, v := range []string{"", "abc", strconv.FormatInt(p.userID(t, "dev@crane.test"), 10), "999999"} {
		res := morgan.post(cranePage+"/managers", url.Values{"user_id": {v}})
		if res.status != http.StatusSeeOther {
			t.Errorf("user_id=%q = %d, want a redirect with a message", v, res.status)
			continue
		}
		if got := text(morgan.get(cranePage), "[data-testid=flash]"); !strings.Contains(got, "Choose") {
			t.Errorf("user_id=%q: flash %q", v, got)
		}
	}
	if diff := cmp.Diff([]string{"Morgan Account"}, managerNames(morgan.get(cranePage))); diff != "" {
		t.Errorf("Crane's managers after bad choices (-want +got):\n%s", diff)
	}
}

// TestCreatePartnerManager: a partner an account manager creates is
// theirs; a platform admin chooses one or assigns later.
func TestCreatePartnerManager(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	kimID := p.addStaffAM(t, "kim@portico.test", "Kim Keeper")
	morgan := signedInAs(t, p, "am@portico.test")
	admin := signedInAs(t, p, "admin@portico.test")

	create := func(b *browser, name, email, manager string) page {
		t.Helper()
		v := url.Values{"name": {name}, "admin_email": {email}}
		if manager != "" {
			v.Set("manager", manager)
		}
		return b.post("/partners", v)
	}
	if res := create(morgan, "Quay One", "a@quay1.test", ""); res.status != http.StatusSeeOther {
		t.Fatalf("Morgan creates = %d", res.status)
	}
	if res := create(admin, "Quay Two", "a@quay2.test", ""); res.status != http.StatusSeeOther {
		t.Fatalf("admin creates = %d", res.status)
	}
	if res := create(admin, "Quay Three", "a@quay3.test", strconv.FormatInt(kimID, 10)); res.status != http.StatusSeeOther {
		t.Fatalf("admin creates for Kim = %d", res.status)
	}
	pg := admin.get("/partners?q=quay")
	got := map[string]string{}
	for _, slug := range partnerSlugs(pg) {
		got[slug] = text(pg, "[data-slug="+slug+"] [data-testid=partner-managers]")
	}
	want := map[string]string{"quay-one": "Morgan Account", "quay-two": "None", "quay-three": "Kim Keeper"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("account managers of new partners (-want +got):\n%s", diff)
	}

	// The form offers the account managers, Morgan's own name chosen for her.
	pg = morgan.get("/partners")
	if got := text(pg, "#partner-manager option[selected]"); got != "Morgan Account (am@portico.test)" {
		t.Errorf("Morgan's create form chooses %q", got)
	}
	for _, bad := range []string{"x", strconv.FormatInt(p.userID(t, "admin@portico.test"), 10)} {
		res := create(admin, "Quay Bad", "a@quaybad.test", bad)
		if res.status != http.StatusUnprocessableEntity || text(res, "[data-testid=manager-error]") == "" {
			t.Errorf("manager=%q = %d, error %q", bad, res.status, text(res, "[data-testid=manager-error]"))
		}
	}
	if n := p.count(t, `SELECT count(*) FROM partners WHERE slug = 'quay-bad'`); n != 0 {
		t.Errorf("a refused create left %d partners", n)
	}
}

// TestEndedPartnerManagers: an ended partnership keeps who managed it but
// offers no change, refuses one, and does not ask for an account manager.
func TestEndedPartnerManagers(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	kimID := p.addStaffAM(t, "kim@portico.test", "Kim Keeper")
	crane := "/partners/" + strconv.FormatInt(p.partnerID(t, "crane-works"), 10)
	admin := signedInAs(t, p, "admin@portico.test")
	if res := admin.post(crane+"/end", nil); res.status != http.StatusSeeOther {
		t.Fatalf("end = %d", res.status)
	}
	pg := admin.get(crane)
	if diff := cmp.Diff([]string{"Morgan Account"}, managerNames(pg)); diff != "" {
		t.Errorf("ended partner's managers (-want +got):\n%s", diff)
	}
	if n := pg.doc.Find("[data-testid=add-manager], [data-testid=remove-manager]").Length(); n != 0 {
		t.Errorf("an ended partner offers %d manager changes", n)
	}
	if res := admin.post(crane+"/managers", url.Values{"user_id": {strconv.FormatInt(kimID, 10)}}); res.status != http.StatusConflict {
		t.Errorf("assigning an ended partner = %d, want 409", res.status)
	}
	remove := crane + "/managers/" + strconv.FormatInt(p.userID(t, "am@portico.test"), 10) + "/remove"
	if res := admin.post(remove, nil); res.status != http.StatusConflict {
		t.Errorf("removing from an ended partner = %d, want 409", res.status)
	}
	if diff := cmp.Diff([]string{"Morgan Account"}, managerNames(admin.get(crane))); diff != "" {
		t.Errorf("after refused changes (-want +got):\n%s", diff)
	}
	// Without its manager, the ended partner is not one needing a manager.
	p.exec(t, `DELETE FROM partner_managers WHERE partner_id = (SELECT id FROM partners WHERE slug = 'crane-works')`)
	pg = admin.get("/partners?manager=none")
	if len(partnerSlugs(pg)) != 0 || pg.doc.Find("[data-testid=unmanaged-notice]").Length() != 0 {
		t.Errorf("an ended partner is listed as needing an account manager: %v", partnerSlugs(pg))
	}
}

// TestEndedPartnerNameIsFree: a partnership that ended is replaced by a
// new partner, which may carry the same name.
func TestEndedPartnerNameIsFree(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	crane := "/partners/" + strconv.FormatInt(p.partnerID(t, "crane-works"), 10)
	admin := signedInAs(t, p, "admin@portico.test")
	if res := admin.post(crane+"/end", nil); res.status != http.StatusSeeOther {
		t.Fatalf("end = %d", res.status)
	}
	res := admin.post("/partners", url.Values{"name": {"Crane Works"}, "admin_email": {"new-admin@crane.test"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("a new Crane Works = %d: %s", res.status, text(res, "[data-testid=partner-name-error]"))
	}
	if n := p.count(t, `SELECT count(*) FROM partners WHERE name = 'Crane Works' AND status = 'active' AND slug = 'crane-works'`); n != 1 {
		t.Errorf("%d active Crane Works with its slug, want 1", n)
	}
	if got := text(admin.get(crane), "h1"); !strings.Contains(got, "Crane Works") || !strings.Contains(got, "Ended") {
		t.Errorf("the ended partner's page heading = %q", got)
	}
}

// TestAccountManagerRemovesOnlyThemselves: an account manager shares a
// partner and may leave it to a colleague, but taking the colleague off is
// a platform admin's call.
func TestAccountManagerRemovesOnlyThemselves(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	kimID := p.addStaffAM(t, "kim@portico.test", "Kim Keeper")
	crane := "/partners/" + strconv.FormatInt(p.partnerID(t, "crane-works"), 10)
	morgan := signedInAs(t, p, "am@portico.test")
	if res := morgan.post(crane+"/managers", url.Values{"user_id": {strconv.FormatInt(kimID, 10)}}); res.status != http.StatusSeeOther {
		t.Fatalf("Morgan shares Crane with Kim = %d", res.status)
	}
	pg := morgan.get(crane)
	if diff := cmp.Diff([]string{"Kim Keeper", "Morgan Account"}, managerNames(pg)); diff != "" {
		t.Errorf("Crane's managers (-want +got):\n%s", diff)
	}
	if n := pg.doc.Find("[data-testid=remove-manager]").Length(); n != 1 {
		t.Errorf("Morgan is offered %d removals, want 1 (herself)", n)
	}
	removeKim := crane + "/managers/" + strconv.FormatInt(kimID, 10) + "/remove"
	for _, res := range []page{morgan.get(removeKim), morgan.post(removeKim, nil)} {
		if res.status != http.StatusForbidden {
			t.Errorf("Morgan takes Kim off = %d, want 403", res.status)
		}
	}
	removeMorgan := crane + "/managers/" + strconv.FormatInt(p.userID(t, "am@portico.test"), 10) + "/remove"
	if res := morgan.post(removeMorgan, nil); res.status != http.StatusSeeOther || res.header.Get("Location") != "/partners" {
		t.Fatalf("Morgan leaves = %d to %q", res.status, res.header.Get("Location"))
	}
	if diff := cmp.Diff([]string{"Kim Keeper"}, managerNames(signedInAs(t, p, "kim@portico.test").get(crane))); diff != "" {
		t.Errorf("Crane's managers after Morgan left (-want +got):\n%s", diff)
	}
	// A stale link (Morgan no longer manages it) is said, not a 500.
	admin := signedInAs(t, p, "admin@portico.test")
	if res := admin.get(removeMorgan); res.status != http.StatusSeeOther {
		t.Fatalf("stale remove link = %d, want a redirect", res.status)
	}
	if got := text(admin.get(crane), "[data-testid=flash]"); !strings.Contains(got, "does not manage") {
		t.Errorf("stale remove link: flash %q", got)
	}
}
