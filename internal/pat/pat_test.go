package pat_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var secret = []byte("pat-test-secret-0123456789abcdef0123")

// fixture is the demo people and catalog with a token service over them.
type fixture struct {
	st  *store.Store
	svc *pat.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st := pgtest.Store(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, svc: pat.New(st, token.NewHasher(secret), pmail.NewOutbox(st), "http://portal.test")}
}

// actor returns the demo user with this email as an actor.
func (f *fixture) actor(t *testing.T, email string) access.Actor {
	t.Helper()
	u, err := f.st.UserByEmail(context.Background(), email)
	if err == nil {
		u, err = f.st.SessionUser(context.Background(), u.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	a := access.Actor{UserID: u.ID, Role: u.Role, Managed: u.Managed}
	if u.PartnerID != nil {
		a.PartnerID = *u.PartnerID
	}
	return a
}

func (f *fixture) create(t *testing.T, a access.Actor, in pat.Input) *pat.Created {
	t.Helper()
	c, err := f.svc.Create(context.Background(), a, in)
	if err != nil {
		t.Fatalf("create token: %v", err)
	}
	return c
}

func ptr(n int) *int { return &n }

func field(err error) string {
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return in.Field
	}
	return ""
}

func TestCreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")
	c := f.create(t, dev, pat.Input{Name: "  CI   deploy ", Environment: "sandbox", Days: 30,
		Scopes: []string{"maintenance/maintenance:write", "fleet/fleet:read", "fleet/fleet:read"}})
	p, err := token.Parse(c.Plaintext)
	if err != nil || p.Kind != token.KindSandbox {
		t.Fatalf("plaintext does not parse as a sandbox token: %v", err)
	}
	got := c.Token
	if diff := cmp.Diff([]string{"fleet/fleet:read", "maintenance/maintenance:write"}, []string(got.Scopes)); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if got.Name != "CI deploy" || got.Hint != token.Hint(c.Plaintext) || got.Status(time.Now()) != "active" {
		t.Errorf("token = %q %q %s", got.Name, got.Hint, got.Status(time.Now()))
	}
	if d := time.Until(got.ExpiresAt); d < 29*24*time.Hour || d > 30*24*time.Hour {
		t.Errorf("expires in %v, want 30 days", d)
	}
	// The plaintext is nowhere in the database: not in the token row, not
	// in the audit trail, not in a mail.
	var dump string
	if err := f.st.DB().GetContext(ctx, &dump, `
		SELECT concat_ws(' ', (SELECT string_agg(t::text, ' ') FROM tokens t),
		                      (SELECT string_agg(a::text, ' ') FROM audit_events a),
		                      (SELECT string_agg(o::text, ' ') FROM outbox o))`); err != nil {
		t.Fatal(err)
	}
	body := c.Plaintext[len("ptc_sbx_"):]
	if strings.Contains(dump, body) || strings.Contains(dump, body[:20]) {
		t.Error("the plaintext token is stored in the database")
	}
	if !strings.Contains(dump, got.Hint) {
		t.Error("the audit trail does not name the token by its hint")
	}
}

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dev := f.actor(t, "dev@crane.test") // granted Fleet basics only
	staff := f.actor(t, "am@portico.test")
	ok := pat.Input{Name: "x", Environment: "sandbox", Days: 90, Scopes: []string{"fleet/fleet:read"}}
	tests := []struct {
		name  string
		actor access.Actor
		edit  func(*pat.Input)
		field string
		err   error
	}{
		{"no name", dev, func(in *pat.Input) { in.Name = "  " }, "name", nil},
		{"long name", dev, func(in *pat.Input) { in.Name = strings.Repeat("n", 101) }, "name", nil},
		{"bad environment", dev, func(in *pat.Input) { in.Environment = "prod" }, "environment", nil},
		{"beyond the maximum", dev, func(in *pat.Input) { in.Days = 366 }, "expiry", nil},
		{"no lifetime", dev, func(in *pat.Input) { in.Days = 0 }, "expiry", nil},
		{"no scopes", dev, func(in *pat.Input) { in.Scopes = nil }, "scopes", nil},
		{"scope of another API", dev, func(in *pat.Input) { in.Scopes = []string{"maintenance/maintenance:read"} }, "scopes", nil},
		{"scope not in the group", dev, func(in *pat.Input) { in.Scopes = []string{"fleet/fleet:write"} }, "scopes", nil},
		{"unknown scope", dev, func(in *pat.Input) { in.Scopes = []string{"root"} }, "scopes", nil},
		{"admin portal scope as developer", dev, func(in *pat.Input) { in.Environment = "live"; in.Scopes = []string{access.ScopeMembersWrite} }, "scopes", nil},
		{"portal scope on a sandbox token", dev, func(in *pat.Input) { in.Scopes = []string{access.ScopeCatalogRead} }, "scopes", nil},
		{"rate limit of zero", dev, func(in *pat.Input) { in.RatePerMinute = ptr(0) }, "rate_limit", nil},
		{"negative rate limit", dev, func(in *pat.Input) { in.RatePerMinute = ptr(-5) }, "rate_limit", nil},
		{"rate limit too high", dev, func(in *pat.Input) { in.RatePerMinute = ptr(pat.MaxRatePerMinute + 1) }, "rate_limit", nil},
		{"staff have no partner", staff, func(*pat.Input) {}, "", pat.ErrForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.edit(&in)
			_, err := f.svc.Create(context.Background(), tc.actor, in)
			if err == nil {
				t.Fatal("created, want refusal")
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("err = %v, want %v", err, tc.err)
			}
			if field(err) != tc.field {
				t.Errorf("field = %q, want %q (%v)", field(err), tc.field, err)
			}
		})
	}
	var n int
	if err := f.st.DB().Get(&n, `SELECT count(*) FROM tokens`); err != nil || n != 0 {
		t.Errorf("refused creations stored %d tokens (%v)", n, err)
	}
}

// TestScopesBoundedAsRead: the scopes of a request are bounded in number
// and length (as openapi/portal.yaml says) before any is looked up, with a
// message saying the bound; 1 001 copies of a granted scope would
// otherwise be accepted, and a long scope refused only as not granted.
func TestScopesBoundedAsRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dev := f.actor(t, "dev@crane.test")
	for _, tc := range []struct {
		name   string
		scopes []string
		want   string
	}{
		{"too many", slices.Repeat([]string{"fleet/fleet:read"}, catalog.MaxScopes+1), "Choose at most 1000 scopes."},
		{"too long", []string{"fleet/" + strings.Repeat("s", pat.MaxScope)}, "A scope has at most 265 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Create(context.Background(), dev, pat.Input{Name: "x", Environment: "sandbox", Days: 90, Scopes: tc.scopes})
			var in *apierr.FieldError
			if !errors.As(err, &in) || in.Field != "scopes" || in.Message != tc.want {
				t.Errorf("err = %v, want scopes: %q", err, tc.want)
			}
		})
	}
}

func TestExpiryChoices(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		max  int
		want []int
		def  int
	}{
		{365, []int{7, 30, 60, 90, 180, 365}, 90},
		{90, []int{7, 30, 60, 90}, 90},
		{45, []int{7, 30, 45}, 45},
		{1, []int{1}, 1},
	} {
		if diff := cmp.Diff(tc.want, pat.ExpiryChoices(tc.max)); diff != "" {
			t.Errorf("ExpiryChoices(%d) (-want +got):\n%s", tc.max, diff)
		}
		if got := pat.DefaultExpiry(tc.max); got != tc.def {
			t.Errorf("DefaultExpiry(%d) = %d, want %d", tc.max, got, tc.def)
		}
	}
}

func TestWhoMayActOnAToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")
	c := f.create(t, dev, pat.Input{Name: "mine", Environment: "sandbox", Days: 7, Scopes: []string{"fleet/fleet:read"}})
	id := c.Token.ID
	tests := []struct {
		who        string
		rename     error
		regenerate error
	}{
		{"dev@harbor.test", nil, nil},
		{"admin@harbor.test", pat.ErrForbidden, pat.ErrForbidden},
		{"am@portico.test", pat.ErrForbidden, pat.ErrForbidden},
		{"dev@crane.test", pat.ErrNotFound, pat.ErrNotFound},
		{"admin@crane.test", pat.ErrNotFound, pat.ErrNotFound},
	}
	for _, tc := range tests {
		a := f.actor(t, tc.who)
		if _, err := f.svc.Rename(ctx, a, id, "renamed"); !errors.Is(err, tc.rename) {
			t.Errorf("%s renames: %v, want %v", tc.who, err, tc.rename)
		}
		if _, err := f.svc.Regenerate(ctx, a, id, 0); !errors.Is(err, tc.regenerate) {
			t.Errorf("%s regenerates: %v, want %v", tc.who, err, tc.regenerate)
		}
	}
	if _, err := f.svc.Revoke(ctx, f.actor(t, "admin@crane.test"), id); !errors.Is(err, pat.ErrNotFound) {
		t.Errorf("another partner's admin revokes: %v, want not found", err)
	}
	if _, err := f.svc.Revoke(ctx, f.actor(t, "admin@harbor.test"), id); err != nil {
		t.Errorf("partner admin revokes: %v", err)
	}
	if _, err := f.svc.Revoke(ctx, dev, id); !errors.Is(err, pat.ErrClosed) {
		t.Errorf("revoking twice: %v, want ErrClosed", err)
	}
	// The owner is told, by mail, that somebody else revoked their token.
	mails, _, err := f.st.ListMails(ctx, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(mails) == 0 || mails[0].ToEmail != "dev@harbor.test" || !strings.Contains(mails[0].Subject, "revoked") ||
		!strings.Contains(mails[0].TextBody, "revoked by a partner admin") {
		t.Errorf("no revocation mail to the owner: %+v", mails)
	}
}

func TestRegenerate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")
	c := f.create(t, dev, pat.Input{Name: "rotating", Environment: "sandbox", Days: 7, Scopes: []string{"fleet/fleet:read"}})
	if _, err := f.svc.Regenerate(ctx, dev, c.Token.ID, 25*time.Hour); field(err) != "grace" {
		t.Errorf("a 25-hour grace period: %v, want refusal", err)
	}
	n, err := f.svc.Regenerate(ctx, dev, c.Token.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if n.Plaintext == c.Plaintext || n.Token.Hint != token.Hint(n.Plaintext) || n.Token.ID != c.Token.ID {
		t.Errorf("regenerated token: same secret or wrong hint/id")
	}
	if n.Token.Name != "rotating" || n.Token.Environment != "sandbox" || !cmp.Equal(n.Token.Scopes, c.Token.Scopes) {
		t.Errorf("regenerating changed the settings: %+v", n.Token)
	}
	if n.Token.PreviousUntil == nil || time.Until(*n.Token.PreviousUntil) > time.Hour {
		t.Errorf("grace period = %v, want an hour", n.Token.PreviousUntil)
	}
}

func TestRemovingAMemberRevokesTheirTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")
	a := f.create(t, dev, pat.Input{Name: "a", Environment: "sandbox", Days: 7, Scopes: []string{"fleet/fleet:read"}})
	other := f.create(t, f.actor(t, "dev@crane.test"), pat.Input{Name: "b", Environment: "sandbox", Days: 7, Scopes: []string{"fleet/fleet:read"}})
	svc := people.New(f.st, token.NewHasher(secret), pmail.NewOutbox(f.st), "http://portal.test")
	if _, err := svc.Remove(ctx, dev.PartnerID, dev.UserID); err != nil {
		t.Fatal(err)
	}
	got, err := f.st.TokenByID(ctx, a.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status(time.Now()) != "revoked" || got.RevokeReason != "owner removed from the partner" {
		t.Errorf("removed member's token: %s (%q)", got.Status(time.Now()), got.RevokeReason)
	}
	if o, _ := f.st.TokenByID(ctx, other.Token.ID); o.Status(time.Now()) != "active" {
		t.Errorf("another partner's token: %s, want active", o.Status(time.Now()))
	}
}

func TestExpiryNoticesGoOutOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")
	soon := f.create(t, dev, pat.Input{Name: "soon", Environment: "sandbox", Days: 7, Scopes: []string{"fleet/fleet:read"}})
	f.create(t, dev, pat.Input{Name: "later", Environment: "sandbox", Days: 90, Scopes: []string{"fleet/fleet:read"}})
	count := func() int {
		t.Helper()
		ms, _, err := f.st.ListMails(ctx, 50, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range ms {
			if strings.Contains(m.Subject, "expires") {
				n++
			}
		}
		return n
	}
	for i, want := range []int{1, 1} { // the 7-day notice, once
		if _, err := f.svc.SendExpiryNotices(ctx); err != nil {
			t.Fatal(err)
		}
		if got := count(); got != want {
			t.Fatalf("run %d: %d expiry mails, want %d", i, got, want)
		}
	}
	if _, err := f.st.DB().Exec(`UPDATE tokens SET expires_at = now() + interval '12 hours' WHERE id = $1`, soon.Token.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the 1-day notice, once
		if _, err := f.svc.SendExpiryNotices(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(); got != 2 {
		t.Errorf("after the last day began: %d expiry mails, want 2", got)
	}
}

// auditOf returns the details of the events of one action, newest first.
func (f *fixture) auditOf(t *testing.T, action string) []map[string]any {
	t.Helper()
	es, err := f.st.ListAuditEvents(context.Background(), store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range es {
		var d map[string]any
		if err := json.Unmarshal(e.Details, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func TestTokenRateLimit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")
	c := f.create(t, dev, pat.Input{Name: "capped", Environment: "sandbox", Days: 7, Scopes: []string{"fleet/fleet:read"}, RatePerMinute: ptr(60)})
	id := c.Token.ID
	if got := c.Token.RateLimitPerMinute; got == nil || *got != 60 {
		t.Fatalf("created with limit %v, want 60", got)
	}
	if d := f.auditOf(t, "token.create"); len(d) != 1 || d[0]["rate_limit_per_minute"] != float64(60) {
		t.Errorf("token.create details %v, want rate_limit_per_minute 60", d)
	}
	// Regenerating keeps it, like every other setting.
	n, err := f.svc.Regenerate(ctx, dev, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.Token.RateLimitPerMinute; got == nil || *got != 60 {
		t.Errorf("after regenerating: limit %v, want 60", got)
	}

	// The owner changes it, then removes it; each change is audited with
	// from and to, and setting the same value again records nothing.
	if tk, err := f.svc.SetRateLimit(ctx, dev, id, ptr(10)); err != nil || tk.RateLimitPerMinute == nil || *tk.RateLimitPerMinute != 10 {
		t.Fatalf("set to 10: %v %v", tk, err)
	}
	if _, err := f.svc.SetRateLimit(ctx, dev, id, ptr(10)); err != nil {
		t.Fatal(err)
	}
	if tk, err := f.svc.SetRateLimit(ctx, dev, id, nil); err != nil || tk.RateLimitPerMinute != nil {
		t.Fatalf("remove: %v %v", tk, err)
	}
	if got, _ := f.st.TokenByID(ctx, id); got.RateLimitPerMinute != nil {
		t.Errorf("stored limit after removal = %d", *got.RateLimitPerMinute)
	}
	want := []map[string]any{
		{"from": float64(10), "to": nil, "hint": n.Token.Hint},
		{"from": float64(60), "to": float64(10), "hint": n.Token.Hint},
	}
	if diff := cmp.Diff(want, f.auditOf(t, "token.rate_limit")); diff != "" {
		t.Errorf("token.rate_limit events (-want +got):\n%s", diff)
	}

	// Refusals: out of range, not the owner, a revoked token.
	for _, bad := range []int{0, -1, pat.MaxRatePerMinute + 1} {
		if _, err := f.svc.SetRateLimit(ctx, dev, id, &bad); field(err) != "rate_limit" {
			t.Errorf("limit %d: %v, want a rate_limit input error", bad, err)
		}
	}
	for who, want := range map[string]error{"admin@harbor.test": pat.ErrForbidden, "am@portico.test": pat.ErrForbidden, "dev@crane.test": pat.ErrNotFound} {
		if _, err := f.svc.SetRateLimit(ctx, f.actor(t, who), id, ptr(5)); !errors.Is(err, want) {
			t.Errorf("%s sets the limit: %v, want %v", who, err, want)
		}
	}
	// Renaming and limiting at once is one change; a refused limit renames nothing.
	name := "both"
	if _, err := f.svc.Update(ctx, dev, id, pat.Change{Name: &name, SetRateLimit: true, RatePerMinute: ptr(0)}); field(err) != "rate_limit" {
		t.Errorf("update with a bad limit: %v", err)
	}
	tk, err := f.svc.Update(ctx, dev, id, pat.Change{Name: &name, SetRateLimit: true, RatePerMinute: ptr(7)})
	if err != nil || tk.Name != "both" || tk.RateLimitPerMinute == nil || *tk.RateLimitPerMinute != 7 {
		t.Fatalf("update name and limit: %+v %v", tk, err)
	}
	if got, _ := f.st.TokenByID(ctx, id); got.Name != "both" || got.RateLimitPerMinute == nil || *got.RateLimitPerMinute != 7 {
		t.Errorf("stored after update: %q %v", got.Name, got.RateLimitPerMinute)
	}
	if len(f.auditOf(t, "token.rename")) != 1 || len(f.auditOf(t, "token.rate_limit")) != 3 {
		t.Errorf("update recorded %d renames and %d limit changes, want 1 and 3", len(f.auditOf(t, "token.rename")), len(f.auditOf(t, "token.rate_limit")))
	}
	if _, err := f.svc.Revoke(ctx, dev, id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SetRateLimit(ctx, dev, id, ptr(5)); !errors.Is(err, pat.ErrClosed) {
		t.Errorf("limit on a revoked token: %v, want ErrClosed", err)
	}
}
