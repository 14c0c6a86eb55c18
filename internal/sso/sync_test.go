package sso_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/oauth2"

	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// syncFixture is the demo portal with Harbor's provider running for real
// (oidctest), knowing Dev and Ada.
type syncFixture struct {
	*fixture
	op               *oidctest.Provider
	p                *store.IdentityProvider
	clientID, secret string
}

var (
	opDev   = oidctest.User{Subject: "dev-sub", Email: "dev@harbor.test", EmailVerified: true, Name: "Dev Harbor", Password: "dev password", Groups: []string{"eng"}}
	opAdmin = oidctest.User{Subject: "admin-sub", Email: "admin@harbor.test", EmailVerified: true, Name: "Ada Harbor", Password: "admin password", Groups: []string{"eng", "portal-admins"}}
)

func newSyncFixture(t *testing.T, requireGroup bool) *syncFixture {
	t.Helper()
	op := oidctest.Start(t)
	f := &syncFixture{fixture: newFixture(t, op.HTTPClient()), op: op}
	f.clientID, f.secret = op.AddClient("https://portal.test/sso/callback")
	f.p = f.provider(t, &f.harbor, op.Issuer(), f.clientID, f.secret, requireGroup)
	f.mapGroup(t, f.p, "eng", "Integrations")
	f.mapGroup(t, f.p, "platform", "Platform")
	f.mapGroup(t, f.p, "portal-admins", "")
	op.AddUser(opDev)
	op.AddUser(opAdmin)
	return f
}

// signIn runs the code flow at the provider as u (PKCE, offline access),
// as the portal's sign-in does, and links the portal user of the same
// email with the refresh token it got, sealed.
func (f *syncFixture) signIn(t *testing.T, u oidctest.User) {
	t.Helper()
	ctx := oidc.ClientContext(context.Background(), f.op.HTTPClient())
	prov, err := oidc.NewProvider(ctx, f.op.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	conf := oauth2.Config{ClientID: f.clientID, ClientSecret: f.secret, Endpoint: prov.Endpoint(),
		RedirectURL: "https://portal.test/sso/callback",
		Scopes:      []string{oidc.ScopeOpenID, "email", "profile", oidc.ScopeOfflineAccess}}
	verifier := oauth2.GenerateVerifier()
	cb, err := url.Parse(f.op.Login(t, f.op.HTTPClient(), conf.AuthCodeURL("state", oauth2.S256ChallengeOption(verifier)), u.Email, u.Password))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := conf.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" {
		t.Fatal("the provider issued no refresh token")
	}
	f.link(t, f.p, f.user(t, u.Email), u.Subject, f.box.Seal(tok.RefreshToken, sso.PurposeRefreshToken))
}

func (f *syncFixture) sync(t *testing.T) *sso.SyncReport {
	t.Helper()
	rep, err := f.svc.Sync(context.Background(), f.p.ID)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return rep
}

// ignoreIDs leaves user ids and revoked counts out of report comparisons.
var ignoreIDs = cmpopts.IgnoreFields(sso.Deprovisioned{}, "UserID", "TokensRevoked", "ClientsRevoked")

// TestSyncFollowsGroups: what the directory says of a person's groups
// now reaches their teams and role at the next sync, and syncs go on
// working with the refresh tokens the provider rotates.
func TestSyncFollowsGroups(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, false)
	f.signIn(t, opDev)
	f.signIn(t, opAdmin)

	f.op.SetGroups(opDev.Subject, "platform", "portal-admins")
	rep := f.sync(t)
	want := &sso.SyncReport{ProviderID: f.p.ID, People: 2, Checked: 2, Kept: 2, Deprovisioned: []sso.Deprovisioned{}}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(person{Status: "active", Role: "partner_admin", Teams: []string{"Platform"}}, f.person(t, f.dev.ID)); diff != "" {
		t.Errorf("Dev after joining platform and portal-admins (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(person{Status: "active", Role: "partner_admin", Teams: []string{"Integrations"}}, f.person(t, f.admin.ID)); diff != "" {
		t.Errorf("Ada, unchanged at the provider (-want +got):\n%s", diff)
	}
	ident, err := f.st.IdentityOfUser(context.Background(), f.dev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"platform", "portal-admins"}, []string(ident.Groups)); diff != "" {
		t.Errorf("groups kept for the identity (-want +got):\n%s", diff)
	}

	// The refresh tokens rotated: the next sync uses the new ones.
	f.op.SetGroups(opDev.Subject, "eng")
	rep = f.sync(t)
	if rep.Kept != 2 || len(rep.Deprovisioned) != 0 || rep.Error != "" {
		t.Errorf("second sync: %+v", rep)
	}
	if diff := cmp.Diff(person{Status: "active", Role: "developer", Teams: []string{"Integrations"}}, f.person(t, f.dev.ID)); diff != "" {
		t.Errorf("Dev back in eng only (-want +got):\n%s", diff)
	}
	if n := len(f.audits(t, "sso.synced")); n != 2 {
		t.Errorf("%d sso.synced events, want 2", n)
	}
	if heads, _ := f.mails(t); len(heads) != 0 {
		t.Errorf("mails though nobody left: %v", heads)
	}
}

// TestSyncDeprovisionsWhoLeft: a person deleted at the provider loses
// their access at the next sync: removed, signed out, token and OAuth
// client revoked, audited, and Harbor's admin mailed; the others stay.
func TestSyncDeprovisionsWhoLeft(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, false)
	f.signIn(t, opDev)
	f.signIn(t, opAdmin)
	creds := f.credentials(t, f.dev)
	f.session(t, f.dev.ID)
	f.session(t, f.admin.ID)

	f.op.RemoveUser(opDev.Subject)
	rep := f.sync(t)

	want := &sso.SyncReport{ProviderID: f.p.ID, People: 2, Checked: 2, Kept: 1,
		Deprovisioned: []sso.Deprovisioned{{Name: "Dev Harbor", Email: "dev@harbor.test", Reason: sso.ReasonRefused}}}
	if diff := cmp.Diff(want, rep, ignoreIDs); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(person{Status: "removed", Role: "developer", Teams: []string{}}, f.person(t, f.dev.ID)); diff != "" {
		t.Errorf("Dev after leaving (-want +got):\n%s", diff)
	}
	if got := f.working(t, creds); len(got) > 0 {
		t.Errorf("Dev's credentials still working: %v", got)
	}
	if got := f.person(t, f.admin.ID); got.Status != "active" || got.Sessions != 1 {
		t.Errorf("Ada after the sync: %+v", got)
	}
	if n := len(f.audits(t, "member.deprovisioned")); n != 1 {
		t.Errorf("%d member.deprovisioned events, want 1", n)
	}
	synced := f.audits(t, "sso.synced")
	if len(synced) != 1 {
		t.Fatalf("%d sso.synced events, want 1", len(synced))
	}
	var d map[string]any
	if err := json.Unmarshal(synced[0].Details, &d); err != nil {
		t.Fatal(err)
	}
	if d["checked"] != 2.0 || d["deprovisioned"] != 1.0 || d["kept"] != 1.0 {
		t.Errorf("sso.synced details: %v", d)
	}
	heads, bodies := f.mails(t)
	if diff := cmp.Diff([]string{"admin@harbor.test: 1 person lost access to the partner portal"}, heads); diff != "" {
		t.Fatalf("mails (-want +got):\n%s", diff)
	}
	if !strings.Contains(bodies[0], "Dev Harbor <dev@harbor.test>") {
		t.Errorf("the mail does not name Dev:\n%s", bodies[0])
	}
}

// TestSyncLeftMappedGroups: where a mapped group is required, a person
// the directory moved out of every mapped group loses their access.
func TestSyncLeftMappedGroups(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, true)
	f.signIn(t, opDev)
	f.signIn(t, opAdmin)
	f.session(t, f.dev.ID)

	f.op.SetGroups(opDev.Subject, "sales")
	rep := f.sync(t)

	want := []sso.Deprovisioned{{Name: "Dev Harbor", Email: "dev@harbor.test", Reason: sso.ReasonLeftGroups}}
	if diff := cmp.Diff(want, rep.Deprovisioned, ignoreIDs); diff != "" {
		t.Errorf("deprovisioned (-want +got):\n%s", diff)
	}
	if got := f.person(t, f.dev.ID); got.Status != "removed" || got.Sessions != 0 {
		t.Errorf("Dev outside every mapped group: %+v", got)
	}
	if got := f.person(t, f.admin.ID).Status; got != "active" {
		t.Errorf("Ada, still in eng: %s", got)
	}
}

// TestSyncOutageRemovesNobody: while the provider is down (at discovery,
// or at the token endpoint once discovered) the sync stops, says so, and
// nobody loses access, not even someone the directory deleted meanwhile.
func TestSyncOutageRemovesNobody(t *testing.T) {
	t.Parallel()
	for _, discovered := range []bool{false, true} {
		name := "down before discovery"
		if discovered {
			name = "down at the token endpoint"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newSyncFixture(t, true)
			f.signIn(t, opDev)
			f.signIn(t, opAdmin)
			f.session(t, f.dev.ID)
			if discovered {
				f.sync(t)
			}
			f.op.RemoveUser(opDev.Subject)
			f.op.SetDown(true)

			rep := f.sync(t)

			if !rep.Unreachable || rep.Error == "" || len(rep.Deprovisioned) != 0 || rep.Checked != 0 {
				t.Errorf("report during the outage: %+v", rep)
			}
			if got := f.person(t, f.dev.ID); got.Status != "active" || got.Sessions != 1 {
				t.Errorf("Dev during the outage: %+v", got)
			}
			if heads, _ := f.mails(t); len(heads) != 0 {
				t.Errorf("mails during the outage: %v", heads)
			}
			synced := f.audits(t, "sso.synced")
			var d map[string]any
			if err := json.Unmarshal(synced[len(synced)-1].Details, &d); err != nil {
				t.Fatal(err)
			}
			if d["unreachable"] != true {
				t.Errorf("sso.synced during the outage: %v", d)
			}

			// Back up: the deletion now counts.
			f.op.SetDown(false)
			if rep := f.sync(t); len(rep.Deprovisioned) != 1 || rep.Error != "" {
				t.Errorf("sync after the outage: %+v", rep)
			}
		})
	}
}

// TestSyncUnchecked: a person whose sign-in gave no refresh token cannot
// be asked about and is counted, not removed; nor is anyone the provider
// does not speak for (a link to a Crane developer, however it came to be).
func TestSyncUnchecked(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, false)
	f.signIn(t, opAdmin)
	f.link(t, f.p, f.dev, opDev.Subject, nil)
	crane := f.user(t, "dev@crane.test")
	f.link(t, f.p, crane, "crane-sub", f.box.Seal("not a refresh token", sso.PurposeRefreshToken))

	rep := f.sync(t)

	want := &sso.SyncReport{ProviderID: f.p.ID, People: 3, Checked: 1, Kept: 1, Unchecked: 2, Deprovisioned: []sso.Deprovisioned{}}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	for _, u := range []*store.User{f.dev, crane} {
		if got := f.person(t, u.ID).Status; got != "active" {
			t.Errorf("%s, unchecked: %s", u.Email, got)
		}
	}
}

// TestConcurrentSyncsShareRotatingTokens: "sync now" while the scheduled
// check runs. The provider rotates refresh tokens, so a token used twice
// is refused; each person's row is held while it is used, so the second
// sync uses the rotated token and nobody is taken for gone.
func TestConcurrentSyncsShareRotatingTokens(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, false)
	f.signIn(t, opDev)
	f.signIn(t, opAdmin)
	var wg sync.WaitGroup
	reps := make([]*sso.SyncReport, 4)
	for i := range reps {
		wg.Go(func() {
			rep, err := f.svc.Sync(context.Background(), f.p.ID)
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		})
	}
	wg.Wait()
	for _, rep := range reps {
		if rep == nil || len(rep.Deprovisioned) != 0 || rep.Error != "" {
			t.Errorf("concurrent sync: %+v", rep)
		}
	}
	for _, u := range []*store.User{f.dev, f.admin} {
		if got := f.person(t, u.ID).Status; got != "active" {
			t.Errorf("%s after concurrent syncs: %s", u.Email, got)
		}
	}
}

// TestSyncDue: the scheduled check syncs a provider that issues refresh
// tokens once per interval (the claim keeps a second round, or node, from
// repeating it), and one it cannot reach is reported, not synced.
func TestSyncDue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newSyncFixture(t, false)
	f.signIn(t, opDev)
	f.op.RemoveUser(opDev.Subject)
	down := oidctest.Start(t)
	down.SetDown(true)
	staff := f.provider(t, nil, down.Issuer(), "portal", "s3cret", false)

	outs, err := f.svc.SyncDue(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || outs[0].ProviderID != staff.ID || outs[0].Err == nil || outs[0].Report != nil ||
		outs[1].ProviderID != f.p.ID || outs[1].Err != nil || outs[1].Report == nil || len(outs[1].Report.Deprovisioned) != 1 {
		t.Fatalf("first round: %+v", outs)
	}
	if got := f.person(t, f.dev.ID).Status; got != "removed" {
		t.Errorf("Dev after the scheduled check: %s", got)
	}

	outs, err = f.svc.SyncDue(ctx, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].ProviderID != staff.ID || outs[0].Err == nil {
		t.Errorf("a second round within the hour: %+v", outs)
	}
	if n := len(f.audits(t, "sso.synced")); n != 1 {
		t.Errorf("%d syncs recorded, want 1", n)
	}
}

// TestSyncReadsUserinfoWithoutTheClaim: when the refreshed ID token lacks
// the configured groups claim, the sync asks the userinfo endpoint (with
// the new access token); lacking there too, the provider said nothing of
// the person's groups, and their teams stay as they were.
func TestSyncReadsUserinfoWithoutTheClaim(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, false)
	f.signIn(t, opDev)
	addToTeam(t, f.fixture, f.team(t, "Integrations"), f.dev.ID)
	if _, err := f.st.DB().Exec(`UPDATE identity_providers SET groups_claim = 'roles' WHERE id = $1`, f.p.ID); err != nil {
		t.Fatal(err)
	}
	f.p.GroupsClaim = "roles"
	if _, err := f.st.DB().Exec(`UPDATE sso_group_mappings SET idp_group = 'eng-role' WHERE idp_group = 'eng'`); err != nil {
		t.Fatal(err)
	}

	rep := f.sync(t)

	if rep.Error != "" || rep.Kept != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if diff := cmp.Diff(person{Status: "active", Role: "developer", Teams: []string{"Integrations"}}, f.person(t, f.dev.ID)); diff != "" {
		t.Errorf("Dev without a roles claim anywhere (-want +got):\n%s", diff)
	}
}
