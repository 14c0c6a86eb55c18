package sso_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/oidctest"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

// configWorld is the demo portal with an SSO service over it.
type configWorld struct {
	st              *store.Store
	svc             *sso.Service
	harbor, crane   int64
	admin, am       access.Actor
	harborAdminRole access.Actor
}

func newConfigWorld(t *testing.T) *configWorld { return newConfigWorldWith(t, nil) }

// newConfigWorldWith is newConfigWorld whose service reaches identity
// providers through client.
func newConfigWorldWith(t *testing.T, client *http.Client) *configWorld {
	t.Helper()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	box, err := sso.NewBox([]byte("test-secret-test-secret-test-secret!"))
	if err != nil {
		t.Fatal(err)
	}
	w := &configWorld{st: st, svc: sso.New(st, box, client, mail.NewOutbox(st), "https://portal.test")}
	for slug, id := range map[string]*int64{"harbor-logistics": &w.harbor, "crane-works": &w.crane} {
		p, err := st.PartnerBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		*id = p.ID
	}
	w.admin = w.actor(t, "admin@portico.test")
	w.am = w.actor(t, "am@portico.test")
	w.harborAdminRole = w.actor(t, "admin@harbor.test")
	return w
}

func (w *configWorld) actor(t *testing.T, email string) access.Actor {
	t.Helper()
	u, err := w.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	a := access.Actor{UserID: u.ID, Role: u.Role}
	if u.PartnerID != nil {
		a.PartnerID = *u.PartnerID
	}
	if err := w.st.DB().Select(&a.Managed, `SELECT partner_id FROM partner_managers WHERE user_id = $1`, u.ID); err != nil {
		t.Fatal(err)
	}
	return a
}

// seedProvider stores a provider for the partner directly (no discovery),
// for the tests of what comes after configuring one.
func (w *configWorld) seedProvider(t *testing.T, partnerID *int64, domains ...string) *store.IdentityProvider {
	t.Helper()
	p, err := w.st.SaveIdentityProvider(context.Background(), store.IdentityProviderInput{PartnerID: partnerID, DisplayName: "Seeded IdP",
		Issuer: "https://idp.invalid", ClientID: "portico", ClientSecretEnc: w.svc.Box().Seal("seeded-secret", sso.PurposeClientSecret),
		GroupsClaim: "groups", Domains: domains})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (w *configWorld) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.st.DB().Get(&n, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func ptr[T any](v T) *T { return &v }

// fieldOf is the field a FieldError names, "" for any other error.
func fieldOf(err error) string {
	var fe *apierr.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func validInput() sso.ConfigInput {
	return sso.ConfigInput{DisplayName: "Harbor Entra", Issuer: "https://login.harbor.test", ClientID: "portico",
		ClientSecret: "s3cret-value", Domains: []string{"harbor.test"}, GroupsClaim: "groups"}
}

// TestConfigureRefusesBadInput: each field out of bounds is refused with a
// FieldError naming it, before any network call, and nothing is stored
// or audited.
func TestConfigureRefusesBadInput(t *testing.T) {
	t.Parallel()
	w := newConfigWorld(t)
	for _, tc := range []struct {
		name  string
		edit  func(*sso.ConfigInput)
		field string
	}{
		{"empty display name", func(in *sso.ConfigInput) { in.DisplayName = "  " }, "display_name"},
		{"display name too long", func(in *sso.ConfigInput) { in.DisplayName = strings.Repeat("é", 101) }, "display_name"},
		{"display name on two lines", func(in *sso.ConfigInput) { in.DisplayName = "Harbor\nEntra" }, "display_name"},
		{"http issuer", func(in *sso.ConfigInput) { in.Issuer = "http://login.harbor.test" }, "issuer"},
		{"issuer with a query", func(in *sso.ConfigInput) { in.Issuer = "https://login.harbor.test/?x=1" }, "issuer"},
		{"empty client id", func(in *sso.ConfigInput) { in.ClientID = "" }, "client_id"},
		{"client id too long", func(in *sso.ConfigInput) { in.ClientID = strings.Repeat("c", 501) }, "client_id"},
		{"no secret on creation", func(in *sso.ConfigInput) { in.ClientSecret = "" }, "client_secret"},
		{"secret too long", func(in *sso.ConfigInput) { in.ClientSecret = strings.Repeat("s", 1001) }, "client_secret"},
		{"no domain", func(in *sso.ConfigInput) { in.Domains = []string{" ", ""} }, "domains"},
		{"domain without a dot", func(in *sso.ConfigInput) { in.Domains = []string{"localhost"} }, "domains"},
		{"a URL for a domain", func(in *sso.ConfigInput) { in.Domains = []string{"https://harbor.test"} }, "domains"},
		{"domain too long", func(in *sso.ConfigInput) { in.Domains = []string{strings.Repeat("a.", 127) + "test"} }, "domains"},
		{"21 domains", func(in *sso.ConfigInput) {
			in.Domains = nil
			for i := range 21 {
				in.Domains = append(in.Domains, "d"+strings.Repeat("x", i)+".test")
			}
		}, "domains"},
		{"groups claim with a space", func(in *sso.ConfigInput) { in.GroupsClaim = "my groups" }, "groups_claim"},
		{"groups claim too long", func(in *sso.ConfigInput) { in.GroupsClaim = strings.Repeat("g", 101) }, "groups_claim"},
		{"require a group without a claim", func(in *sso.ConfigInput) { in.GroupsClaim, in.RequireGroup = "", true }, "require_group"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			tc.edit(&in)
			_, err := w.svc.Configure(context.Background(), w.admin, &w.harbor, in)
			if got := fieldOf(err); got != tc.field {
				t.Errorf("Configure = %v, want a field error on %s", err, tc.field)
			}
		})
	}
	if n := w.count(t, `SELECT count(*) FROM identity_providers`); n != 0 {
		t.Errorf("%d providers stored after refusals, want 0", n)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action LIKE 'sso.%'`); n != 0 {
		t.Errorf("%d sso events audited after refusals, want 0", n)
	}
}

// TestConfigureNeedsTheRightActor: the domain's own guard refuses an
// account manager who does not manage the partner, a partner admin, and
// an account manager configuring the staff's provider.
func TestConfigureNeedsTheRightActor(t *testing.T) {
	t.Parallel()
	w := newConfigWorld(t)
	ctx := context.Background()
	harborOnly := w.am
	harborOnly.Managed = []int64{w.harbor}
	for _, tc := range []struct {
		name    string
		actor   access.Actor
		partner *int64
	}{
		{"account manager of another partner", harborOnly, &w.crane},
		{"partner admin", w.harborAdminRole, &w.harbor},
		{"account manager, staff provider", w.am, nil},
	} {
		if _, err := w.svc.Configure(ctx, tc.actor, tc.partner, validInput()); !errors.Is(err, sso.ErrNotAllowed) {
			t.Errorf("%s: Configure = %v, want ErrNotAllowed", tc.name, err)
		}
	}
}

// TestConfigureUnreachableIssuer: an issuer that answers no discovery
// document is a field error on the issuer saying so; nothing is stored.
func TestConfigureUnreachableIssuer(t *testing.T) {
	t.Parallel()
	w := newConfigWorld(t)
	in := validInput()
	in.Issuer = "https://127.0.0.1:1"
	_, err := w.svc.Configure(context.Background(), w.admin, &w.harbor, in)
	var fe *apierr.FieldError
	if !errors.As(err, &fe) || fe.Field != "issuer" || !strings.Contains(fe.Message, "could not be reached") {
		t.Fatalf("Configure with an unreachable issuer = %v, want a field error on issuer saying it could not be reached", err)
	}
	if n := w.count(t, `SELECT count(*) FROM identity_providers`); n != 0 {
		t.Errorf("%d providers stored, want 0", n)
	}
}

// TestMappings: a partner admin's mappings go to their own teams or the
// partner-admin role, each audited; another partner's team, a duplicate,
// a bad group name and a partner without a provider are refused; removing
// one audits it, and another partner's mapping is not found.
func TestMappings(t *testing.T) {
	t.Parallel()
	w := newConfigWorld(t)
	ctx := context.Background()
	if _, err := w.svc.AddMapping(ctx, w.harbor, "ops", nil, ptr(sso.RolePartnerAdmin)); !errors.Is(err, sso.ErrNoProvider) {
		t.Fatalf("AddMapping without a provider = %v, want ErrNoProvider", err)
	}
	w.seedProvider(t, &w.harbor, "harbor.test")
	w.seedProvider(t, &w.crane, "crane.test")
	mine, err := w.st.CreateTeam(ctx, w.harbor, "Harbor Ops")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := w.st.CreateTeam(ctx, w.crane, "Crane Ops")
	if err != nil {
		t.Fatal(err)
	}
	m, err := w.svc.AddMapping(ctx, w.harbor, " portal-ops ", &mine.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Group != "portal-ops" || m.TeamName == nil || *m.TeamName != "Harbor Ops" {
		t.Errorf("mapping = %q → %v, want portal-ops → Harbor Ops", m.Group, m.TeamName)
	}
	if _, err := w.svc.AddMapping(ctx, w.harbor, "portal-admins", nil, ptr(sso.RolePartnerAdmin)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, group string
		team        *int64
		role        *string
		field       string
	}{
		{"another partner's team", "ops", &theirs.ID, nil, "team"},
		{"a team that does not exist", "ops", ptr(int64(1 << 40)), nil, "team"},
		{"the same mapping again", "portal-ops", &mine.ID, nil, "group"},
		{"an empty group", " ", &mine.ID, nil, "group"},
		{"a group too long", strings.Repeat("g", 201), &mine.ID, nil, "group"},
		{"neither team nor role", "ops", nil, nil, "team"},
		{"both team and role", "ops", &mine.ID, ptr(sso.RolePartnerAdmin), "team"},
		{"another role", "ops", nil, ptr("developer"), "team"},
	} {
		if _, err := w.svc.AddMapping(ctx, w.harbor, tc.group, tc.team, tc.role); fieldOf(err) != tc.field {
			t.Errorf("%s: AddMapping = %v, want a field error on %s", tc.name, err, tc.field)
		}
	}
	var added []string
	if err := w.st.DB().Select(&added, `SELECT details->>'group' || ' ' || coalesce(details->>'team', details->>'role')
		FROM audit_events WHERE action = 'sso.mapping_added' AND partner_id = $1 ORDER BY id`, w.harbor); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"portal-ops Harbor Ops", "portal-admins partner_admin"}, added); diff != "" {
		t.Errorf("audited additions (-want +got):\n%s", diff)
	}

	if _, err := w.svc.RemoveMapping(ctx, w.crane, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Crane removing Harbor's mapping = %v, want not found", err)
	}
	if _, err := w.svc.RemoveMapping(ctx, w.harbor, m.ID); err != nil {
		t.Fatal(err)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'sso.mapping_removed' AND details->>'team' = 'Harbor Ops'`); n != 1 {
		t.Errorf("%d mapping_removed events naming the team, want 1", n)
	}
	if n := w.count(t, `SELECT count(*) FROM sso_group_mappings`); n != 1 {
		t.Errorf("%d mappings left, want 1 (the role's)", n)
	}
}

// TestMappingsBounded: a provider holds at most MaxMappings mappings.
func TestMappingsBounded(t *testing.T) {
	t.Parallel()
	w := newConfigWorld(t)
	ctx := context.Background()
	p := w.seedProvider(t, &w.harbor, "harbor.test")
	if _, err := w.st.DB().Exec(`INSERT INTO sso_group_mappings (provider_id, idp_group, role)
		SELECT $1, 'group-' || i, 'partner_admin' FROM generate_series(1, $2) i`, p.ID, sso.MaxMappings); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.AddMapping(ctx, w.harbor, "one-more", nil, ptr(sso.RolePartnerAdmin)); fieldOf(err) != "group" {
		t.Errorf("mapping %d = %v, want a field error on group", sso.MaxMappings+1, err)
	}
}

// TestRemoveProvider: removing unlinks the identities and audits how many
// people signed in through it; the staff's provider is removed alike.
func TestRemoveProvider(t *testing.T) {
	t.Parallel()
	w := newConfigWorld(t)
	ctx := context.Background()
	p := w.seedProvider(t, &w.harbor, "harbor.test")
	staff := w.seedProvider(t, nil, "portico.test")
	for _, email := range []string{"admin@harbor.test", "dev@harbor.test"} {
		u, err := w.st.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.st.SaveIdentity(ctx, store.UserIdentity{ProviderID: p.ID, Subject: "sub-" + email, UserID: u.ID, Groups: []string{}}); err != nil {
			t.Fatal(err)
		}
	}
	got, n, err := w.svc.RemoveProvider(ctx, &w.harbor)
	if err != nil || got.ID != p.ID || n != 2 {
		t.Fatalf("RemoveProvider = %v, %d, %v; want Harbor's provider, 2 people", got, n, err)
	}
	if left := w.count(t, `SELECT count(*) FROM user_identities`); left != 0 {
		t.Errorf("%d identities left, want 0", left)
	}
	if people := w.count(t, `SELECT (details->>'people')::int FROM audit_events WHERE action = 'sso.provider_removed' AND partner_id = $1`, w.harbor); people != 2 {
		t.Errorf("audited people = %d, want 2", people)
	}
	if _, _, err := w.svc.RemoveProvider(ctx, &w.harbor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("removing it again = %v, want not found", err)
	}
	if got, _, err := w.svc.RemoveProvider(ctx, nil); err != nil || got.ID != staff.ID {
		t.Errorf("RemoveProvider(staff) = %v, %v", got, err)
	}
}

// TestConfigureThroughDiscovery: against a real OpenID provider, staff
// create Harbor's provider (the secret sealed, audited without it),
// change it keeping the secret, and keep changing it while the provider
// is down as long as its issuer stays; Crane claiming Harbor's domain is
// refused at the domains field, naming the domain.
func TestConfigureThroughDiscovery(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	w := newConfigWorldWith(t, op.HTTPClient())
	ctx := context.Background()
	const secret = "op-client-secret-4711"
	in := sso.ConfigInput{DisplayName: " Harbor Directory ", Issuer: op.Issuer(), ClientID: "portico-harbor", ClientSecret: secret,
		Domains: []string{"Harbor.test", "@ops.harbor.test", "harbor.test"}, GroupsClaim: "groups"}
	p, err := w.svc.Configure(ctx, w.am, &w.harbor, in)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"harbor.test", "ops.harbor.test"}, []string(p.Domains)); diff != "" || p.DisplayName != "Harbor Directory" {
		t.Errorf("saved %q with domains (-want +got):\n%s", p.DisplayName, diff)
	}
	if got, err := w.svc.Box().Open(p.ClientSecretEnc, sso.PurposeClientSecret); err != nil || got != secret {
		t.Errorf("sealed secret opens to %q, %v", got, err)
	}
	if strings.Contains(string(p.ClientSecretEnc), secret) {
		t.Error("the client secret is stored in the clear")
	}

	// A change without a secret keeps it; with the provider down, an
	// unchanged issuer is not fetched again, so enforcement can still be
	// switched, but a new issuer is refused.
	op.SetDown(true)
	in.ClientSecret, in.Enforced = "", true
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, in); err != nil {
		t.Fatalf("changing enforcement while the provider is down: %v", err)
	}
	in.Enforced = false
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, in); err != nil {
		t.Fatalf("switching enforcement off while the provider is down: %v", err)
	}
	moved := in
	moved.Issuer = op.Issuer() + "/elsewhere"
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, moved); fieldOf(err) != "issuer" {
		t.Errorf("a new issuer while it is down = %v, want a field error on issuer", err)
	}
	op.SetDown(false)
	kept, err := w.st.PartnerIdentityProvider(ctx, w.harbor)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := w.svc.Box().Open(kept.ClientSecretEnc, sso.PurposeClientSecret); got != secret {
		t.Errorf("after changes without a secret, it opens to %q, want the first one", got)
	}

	crane := in
	crane.ClientSecret, crane.Domains = "crane-secret", []string{"crane.test", "ops.harbor.test"}
	_, err = w.svc.Configure(ctx, w.admin, &w.crane, crane)
	var fe *apierr.FieldError
	if !errors.As(err, &fe) || fe.Field != "domains" || !strings.Contains(fe.Message, "ops.harbor.test already belongs to another organisation's sign-in") {
		t.Errorf("Crane claiming Harbor's domain = %v, want a field error on domains naming it", err)
	}
	if _, err := w.st.PartnerIdentityProvider(ctx, w.crane); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Crane's provider after the refusal: %v, want none", err)
	}

	var details []string
	if err := w.st.DB().Select(&details, `SELECT details::text FROM audit_events WHERE action = 'sso.provider_saved' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if len(details) != 3 {
		t.Fatalf("%d provider_saved events, want 3: %v", len(details), details)
	}
	for i, want := range []string{`"secret_changed": true`, `"secret_changed": false`, `"secret_changed": false`} {
		if !strings.Contains(details[i], want) || strings.Contains(details[i], secret) {
			t.Errorf("event %d details %s: want %s and never the secret", i, details[i], want)
		}
	}
	if n := w.count(t, `SELECT count(*) FROM audit_events WHERE details::text LIKE '%' || $1 || '%'`, secret); n != 0 {
		t.Errorf("%d audit events carry the client secret", n)
	}
}

// TestEnforcingCancelsInvitations: switching enforcement on cancels the
// partner's open invitations in the same action, audited one by one and
// counted in the provider's event; saving it enforced again cancels
// nothing more, and another partner's invitations stay open.
func TestEnforcingCancelsInvitations(t *testing.T) {
	t.Parallel()
	op := oidctest.Start(t)
	w := newConfigWorldWith(t, op.HTTPClient())
	ctx := context.Background()
	for i, pid := range []int64{w.harbor, w.harbor, w.crane} {
		if _, err := w.st.CreateInvitation(ctx, pid, "invitee"+strconv.Itoa(i)+"@example.test", "developer", []byte("hash-"+strconv.Itoa(i)), nil, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	open := func(pid int64) int {
		return w.count(t, `SELECT count(*) FROM invitations WHERE partner_id = $1 AND cancelled_at IS NULL AND accepted_at IS NULL`, pid)
	}
	in := validInput()
	in.Issuer = op.Issuer()
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, in); err != nil {
		t.Fatal(err)
	}
	if n := open(w.harbor); n != 2 {
		t.Fatalf("optional SSO left %d of Harbor's invitations open, want 2", n)
	}
	in.ClientSecret, in.Enforced = "", true
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, in); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Configure(ctx, w.am, &w.harbor, in); err != nil {
		t.Fatal(err)
	}
	if n := open(w.harbor); n != 0 {
		t.Errorf("enforcing left %d of Harbor's invitations open, want 0", n)
	}
	if n := open(w.crane); n != 1 {
		t.Errorf("Crane has %d open invitations, want its 1", n)
	}
	var counted []int
	if err := w.st.DB().Select(&counted, `SELECT coalesce((details->>'invitations_cancelled')::int, -1) FROM audit_events
		WHERE action = 'sso.provider_saved' ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{-1, 2, -1}, counted); diff != "" {
		t.Errorf("invitations_cancelled per save (-1: none) (-want +got):\n%s", diff)
	}
	if n := w.count(t, `SELECT count(*) FROM audit_events WHERE action = 'invitation.cancel' AND details->>'reason' = 'sso_enforced'`); n != 2 {
		t.Errorf("%d invitation.cancel events, want 2", n)
	}
}
