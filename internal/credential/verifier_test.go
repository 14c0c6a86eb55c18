package credential_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var secret = []byte("credential-test-secret-0123456789abcdef")

type fixture struct {
	url    string
	st     *store.Store
	hasher *token.Hasher
	pats   *pat.Service
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	url := pgtest.URL(t)
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	h := token.NewHasher(secret)
	return &fixture{url: url, st: st, hasher: h, pats: pat.New(st, h, pmail.NewOutbox(st), "http://portal.test")}
}

func (f *fixture) actor(t testing.TB, email string) access.Actor {
	t.Helper()
	u, err := f.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID}
}

func (f *fixture) token(t testing.TB, email, env string, scopes ...string) *pat.Created {
	t.Helper()
	c, err := f.pats.Create(context.Background(), f.actor(t, email), pat.Input{Name: "t", Environment: env, Days: 30, Scopes: scopes})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// listening returns a verifier whose cache follows the database's
// notifications until the test ends.
func (f *fixture) listening(t testing.TB) *credential.Verifier {
	t.Helper()
	v := credential.NewVerifier(f.st, f.hasher)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := v.Listen(ctx, f.url, slog.New(slog.NewTextHandler(io.Discard, nil)), ready); err != nil {
			t.Errorf("listen: %v", err)
			close(ready)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	return v
}

// within polls cond every 10 ms until it holds or d passes.
func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestVerifyErrors(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := credential.NewVerifier(f.st, f.hasher)
	good := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	revoked := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read")
	if _, err := f.pats.Revoke(ctx, f.actor(t, "dev@harbor.test"), revoked.Token.ID); err != nil {
		t.Fatal(err)
	}
	expired := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read")
	if _, err := f.st.DB().Exec(`UPDATE tokens SET expires_at = now() - interval '1 second' WHERE id = $1`, expired.Token.ID); err != nil {
		t.Fatal(err)
	}
	unknown, _ := token.New(token.KindSandbox)
	invite, _ := token.New(token.KindInvite)
	wrongSum := good[:len(good)-1] + string("0123456789"[(int(good[len(good)-1])+1)%10])
	tests := []struct {
		name, plaintext, env string
		want                 error
	}{
		{"valid", good, "sandbox", nil},
		{"valid, any environment", good, "", nil},
		{"wrong environment", good, "live", credential.ErrEnvironment},
		{"empty", "", "sandbox", credential.ErrInvalid},
		{"garbage", "hello", "sandbox", credential.ErrInvalid},
		{"truncated", good[:len(good)-3], "sandbox", credential.ErrInvalid},
		{"wrong checksum", wrongSum, "sandbox", credential.ErrInvalid},
		{"unknown", unknown, "sandbox", credential.ErrInvalid},
		{"revoked answers like unknown", revoked.Plaintext, "sandbox", credential.ErrInvalid},
		{"another kind of credential", invite, "sandbox", credential.ErrInvalid},
		{"expired", expired.Plaintext, "sandbox", credential.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := v.Verify(ctx, tc.plaintext, tc.env, "192.0.2.1")
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err == nil && (!p.Allows("fleet", "fleet:read") || p.Allows("fleet", "fleet:write")) {
				t.Errorf("principal scopes wrong")
			}
		})
	}
}

// A token that fails the checksum never costs a database lookup: the
// verifier's database here is closed, so a lookup would fail differently.
func TestWrongChecksumNeverReachesTheDatabase(t *testing.T) {
	t.Parallel()
	db, err := sqlx.Open("postgres", "postgres://nobody@127.0.0.1:1/none?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	v := credential.NewVerifier(store.New(db), token.NewHasher(secret))
	good, _ := token.New(token.KindLive)
	bad := good[:len(good)-6] + "000000"
	if _, err := token.Parse(bad); !errors.Is(err, token.ErrChecksum) {
		t.Skip("the random token happened to have checksum 000000")
	}
	if _, err := v.Verify(context.Background(), bad, "live", ""); err != credential.ErrInvalid {
		t.Errorf("wrong checksum: %v, want exactly ErrInvalid (no database error)", err)
	}
	if _, err := v.Verify(context.Background(), good, "live", ""); errors.Is(err, credential.ErrInvalid) || err == nil {
		t.Errorf("a well-formed token should reach the (closed) database, got %v", err)
	}
}

func TestScopesNarrowWhenAGrantIsTakenBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := f.listening(t)
	c := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read", "maintenance/maintenance:write")
	p, err := v.Verify(ctx, c.Plaintext, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Allows("maintenance", "maintenance:write") || p.Allows("telemetry", "telemetry:read") {
		t.Fatalf("before: maintenance:write=%v telemetry:read=%v", p.Allows("maintenance", "maintenance:write"), p.Allows("telemetry", "telemetry:read"))
	}
	// The account manager takes Port operations back from the team.
	if _, err := f.st.DB().Exec(`UPDATE grants SET revoked_at = now()`); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "grant removal seen", func() bool {
		p, err := v.Verify(ctx, c.Plaintext, "sandbox", "")
		return err == nil && !p.Allows("maintenance", "maintenance:write") && !p.Allows("fleet", "fleet:read")
	})
}

// Two verifiers (two portal processes) on one database: a revocation
// through one is refused by the other within a second.
func TestRevocationSeenByAnotherNodeWithinOneSecond(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	a, b := f.listening(t), f.listening(t)
	c := f.token(t, "dev@crane.test", "sandbox", "fleet/fleet:read")
	for _, v := range []*credential.Verifier{a, b} {
		if _, err := v.Verify(ctx, c.Plaintext, "sandbox", ""); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if _, err := f.pats.Revoke(ctx, f.actor(t, "dev@crane.test"), c.Token.ID); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "revocation seen by the second node", func() bool {
		_, err := b.Verify(ctx, c.Plaintext, "sandbox", "")
		return errors.Is(err, credential.ErrInvalid)
	})
	t.Logf("revocation refused by the other node after %v", time.Since(start))
}

func TestSuspensionAndRemovalStopTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := f.listening(t)
	crane := f.token(t, "dev@crane.test", "sandbox", "fleet/fleet:read")
	harbor := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read")
	for _, c := range []*pat.Created{crane, harbor} {
		if _, err := v.Verify(ctx, c.Plaintext, "sandbox", ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.SetPartnerStatus(ctx, crane.Token.PartnerID, store.PartnerSuspended); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "suspension seen", func() bool {
		_, err := v.Verify(ctx, crane.Plaintext, "sandbox", "")
		return errors.Is(err, credential.ErrInvalid)
	})
	if _, err := v.Verify(ctx, harbor.Plaintext, "sandbox", ""); err != nil {
		t.Errorf("another partner's token stopped too: %v", err)
	}
	if err := f.st.RemoveUser(ctx, harbor.Token.UserID); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "removal seen", func() bool {
		_, err := v.Verify(ctx, harbor.Plaintext, "sandbox", "")
		return errors.Is(err, credential.ErrInvalid)
	})
}

func TestApprovalAndGracePeriod(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := f.listening(t)
	dev := f.actor(t, "dev@harbor.test")
	if err := f.st.SetRequireLiveApproval(ctx, dev.PartnerID, true); err != nil {
		t.Fatal(err)
	}
	c := f.token(t, "dev@harbor.test", "live", "fleet/fleet:read", access.ScopeCatalogRead)
	if c.Token.Status(time.Now()) != "pending" {
		t.Fatalf("status = %s, want pending", c.Token.Status(time.Now()))
	}
	if _, err := v.Verify(ctx, c.Plaintext, "live", ""); !errors.Is(err, credential.ErrPending) {
		t.Fatalf("pending token: %v, want ErrPending", err)
	}
	if _, err := f.pats.Approve(ctx, dev, c.Token.ID); !errors.Is(err, pat.ErrForbidden) {
		t.Errorf("the owner approves: %v, want forbidden", err)
	}
	if _, err := f.pats.Approve(ctx, f.actor(t, "admin@harbor.test"), c.Token.ID); err != nil {
		t.Fatal(err)
	}
	var p *credential.Principal
	within(t, time.Second, "approval seen", func() bool {
		var err error
		p, err = v.Verify(ctx, c.Plaintext, "live", "")
		return err == nil
	})
	if diff := cmp.Diff([]string{access.ScopeCatalogRead}, p.PortalScopes()); diff != "" {
		t.Errorf("portal scopes (-want +got):\n%s", diff)
	}

	// Regenerating with a grace period: both secrets work; without one
	// the old secret stops at once.
	n, err := f.pats.Regenerate(ctx, dev, c.Token.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.Plaintext, n.Plaintext} {
		if _, err := v.Verify(ctx, s, "live", ""); err != nil {
			t.Errorf("during the grace period: %v", err)
		}
	}
	m, err := f.pats.Regenerate(ctx, dev, c.Token.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "old secrets refused", func() bool {
		_, e1 := v.Verify(ctx, c.Plaintext, "live", "")
		_, e2 := v.Verify(ctx, n.Plaintext, "live", "")
		return errors.Is(e1, credential.ErrInvalid) && errors.Is(e2, credential.ErrInvalid)
	})
	if _, err := v.Verify(ctx, m.Plaintext, "live", ""); err != nil {
		t.Errorf("the newest secret: %v", err)
	}
}

func TestLastUseIsWrittenInBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := credential.NewVerifier(f.st, f.hasher)
	c := f.token(t, "dev@crane.test", "sandbox", "fleet/fleet:read")
	for _, ip := range []string{"192.0.2.1", "192.0.2.7"} {
		if _, err := v.Verify(ctx, c.Plaintext, "sandbox", ip); err != nil {
			t.Fatal(err)
		}
	}
	got, err := f.st.TokenByID(ctx, c.Token.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.LastUsedAt != nil {
		t.Fatal("verifying wrote to the database before a flush")
	}
	if err := v.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err = f.st.TokenByID(ctx, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	if got.LastUsedAt == nil || got.LastUsedIP == nil || *got.LastUsedIP != "192.0.2.7" {
		t.Errorf("last use = %v from %v, want now from 192.0.2.7", got.LastUsedAt, got.LastUsedIP)
	}
}

// A token's own rate limit travels in its principal, with its limiter key
// computed once; changing it reaches a listening node's cache at once.
func TestTokenLimitInThePrincipal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := f.listening(t)
	dev := f.actor(t, "dev@harbor.test")
	plain := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read")
	p, err := v.Verify(ctx, plain.Plaintext, "sandbox", "")
	if err != nil {
		t.Fatal(err)
	}
	if p.TokenLimit != 0 || p.TokenRateKey != "" {
		t.Errorf("no limit of its own: TokenLimit %d, key %q", p.TokenLimit, p.TokenRateKey)
	}
	n := 30
	if _, err := f.pats.SetRateLimit(ctx, dev, plain.Token.ID, &n); err != nil {
		t.Fatal(err)
	}
	wantKey := "rlt:" + strconv.FormatInt(plain.Token.ID, 10)
	within(t, time.Second, "limit seen", func() bool {
		p, err = v.Verify(ctx, plain.Plaintext, "sandbox", "")
		return err == nil && p.TokenLimit == 30
	})
	if p.TokenRateKey != wantKey {
		t.Errorf("TokenRateKey = %q, want %q", p.TokenRateKey, wantKey)
	}
	if again, _ := v.Verify(ctx, plain.Plaintext, "sandbox", ""); again != p {
		t.Error("a cached verification built a new principal")
	}
	if _, err := f.pats.SetRateLimit(ctx, dev, plain.Token.ID, nil); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "limit removal seen", func() bool {
		p, err = v.Verify(ctx, plain.Plaintext, "sandbox", "")
		return err == nil && p.TokenLimit == 0 && p.TokenRateKey == ""
	})
}
