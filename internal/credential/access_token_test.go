package credential_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/token"
)

// client registers an OAuth client of the demo developer (their partner
// lets developers register clients) and issues it an access token for
// scopes, as the token endpoint does: only the HMAC is stored.
func (f *fixture) client(t *testing.T, networks []string, scopes ...string) (*pat.ClientCreated, func(scopes []string, life time.Duration) string) {
	t.Helper()
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")
	if err := f.st.SetDeveloperClients(ctx, dev.PartnerID, true); err != nil {
		t.Fatal(err)
	}
	c, err := f.pats.CreateClient(ctx, dev, pat.ClientInput{Input: pat.Input{Name: "server", Environment: "sandbox", Days: 30, Scopes: scopes}, Networks: networks})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(scopes []string, life time.Duration) string {
		t.Helper()
		plain, err := token.New(token.KindAccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.InsertAccessToken(ctx, c.Token.ID, f.hasher.Hash(plain), scopes, time.Now().Add(life)); err != nil {
			t.Fatal(err)
		}
		return plain
	}
	return c, issue
}

func TestAccessTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := credential.NewVerifier(f.st, f.hasher)
	c, issue := f.client(t, nil, "fleet/fleet:read", "maintenance/maintenance:read")
	narrow := issue([]string{"fleet/fleet:read"}, 15*time.Minute)
	// A scope the client does not hold is dropped at use, whatever the
	// access token's row says.
	wider := issue([]string{"fleet/fleet:read", "maintenance/maintenance:write"}, 15*time.Minute)
	expired := issue([]string{"fleet/fleet:read"}, -time.Second)

	p, err := v.Verify(ctx, narrow, "sandbox", "192.0.2.1")
	if err != nil {
		t.Fatalf("Verify(access token) = %v", err)
	}
	if p.TokenID != c.Token.ID || p.ClientID != c.ClientID || p.IssuedAt == nil {
		t.Errorf("principal: token %d client %q issued %v, want the client's row %d and id %q", p.TokenID, p.ClientID, p.IssuedAt, c.Token.ID, c.ClientID)
	}
	if diff := cmp.Diff([]string{"fleet/fleet:read"}, p.Scopes()); diff != "" {
		t.Errorf("narrowed scopes (-want +got):\n%s", diff)
	}
	p, err = v.Verify(ctx, wider, "sandbox", "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"fleet/fleet:read"}, p.Scopes()); diff != "" {
		t.Errorf("scopes beyond the client's (-want +got):\n%s", diff)
	}
	if _, err := v.Verify(ctx, narrow, "live", "192.0.2.1"); !errors.Is(err, credential.ErrEnvironment) {
		t.Errorf("sandbox access token on live: %v, want ErrEnvironment", err)
	}
	if _, err := v.Verify(ctx, expired, "sandbox", "192.0.2.1"); !errors.Is(err, credential.ErrAccessTokenExpired) || !errors.Is(err, credential.ErrExpired) {
		t.Errorf("expired access token: %v, want ErrAccessTokenExpired", err)
	}
	// The client's secret is not a bearer credential.
	if _, err := v.Verify(ctx, c.Secret, "", "192.0.2.1"); !errors.Is(err, credential.ErrInvalid) {
		t.Errorf("client secret as bearer: %v, want ErrInvalid", err)
	}
}

func TestAccessTokenRevocationSeenWithinOneSecond(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := f.listening(t)
	c, issue := f.client(t, nil, "fleet/fleet:read")
	one, two := issue([]string{"fleet/fleet:read"}, time.Hour), issue([]string{"fleet/fleet:read"}, time.Hour)
	for _, at := range []string{one, two} {
		if _, err := v.Verify(ctx, at, "sandbox", "192.0.2.1"); err != nil {
			t.Fatal(err) // cached now
		}
	}
	// One access token revoked: it stops, the other goes on.
	if ok, err := f.st.RevokeAccessToken(ctx, f.hasher.Hash(one), nil, nil); err != nil || !ok {
		t.Fatalf("revoke access token: %v %v", ok, err)
	}
	within(t, time.Second, "revoked access token refused", func() bool {
		_, err := v.Verify(ctx, one, "sandbox", "192.0.2.1")
		return errors.Is(err, credential.ErrInvalid)
	})
	if _, err := v.Verify(ctx, two, "sandbox", "192.0.2.1"); err != nil {
		t.Fatalf("the other access token: %v", err)
	}
	// The client revoked: its access tokens stop with it.
	if _, err := f.pats.Revoke(ctx, f.actor(t, "dev@harbor.test"), c.Token.ID); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "access token of a revoked client refused", func() bool {
		_, err := v.Verify(ctx, two, "sandbox", "192.0.2.1")
		return errors.Is(err, credential.ErrInvalid)
	})
}

func TestAllowedNetworks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := credential.NewVerifier(f.st, f.hasher)
	_, issue := f.client(t, []string{"203.0.113.0/24", "2001:db8::/32"}, "fleet/fleet:read")
	at := issue([]string{"fleet/fleet:read"}, time.Hour)
	tests := []struct {
		ip   string
		want error
	}{
		{"203.0.113.77", nil},
		{"::ffff:203.0.113.77", nil},
		{"2001:db8:1::5", nil},
		{"198.51.100.1", credential.ErrNetwork},
		{"2001:db9::1", credential.ErrNetwork},
		{"", credential.ErrNetwork},
	}
	for _, tc := range tests {
		t.Run(tc.ip, func(t *testing.T) {
			if _, err := v.Verify(ctx, at, "sandbox", tc.ip); !errors.Is(err, tc.want) {
				t.Errorf("Verify from %q = %v, want %v", tc.ip, err, tc.want)
			}
		})
	}
	// Introspection is not a use from anywhere: it reports the token
	// whatever address asks.
	if _, _, err := v.Inspect(ctx, at); err != nil {
		t.Errorf("Inspect = %v", err)
	}
}

// TestRotationEndsOldAccessTokens: rotating a client's secret ends the
// access tokens got with the old one: at once without a grace period, at
// its end with one; a listening node sees it within a second.
func TestRotationEndsOldAccessTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := f.listening(t)
	c, issue := f.client(t, nil, "fleet/fleet:read")
	dev := f.actor(t, "dev@harbor.test")
	old := issue([]string{"fleet/fleet:read"}, time.Hour)
	if _, err := v.Verify(ctx, old, "sandbox", "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pats.Regenerate(ctx, dev, c.Token.ID, 0); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "access token of the replaced secret refused", func() bool {
		_, err := v.Verify(ctx, old, "sandbox", "192.0.2.1")
		return errors.Is(err, credential.ErrExpired)
	})

	// With a grace period, the old tokens last until it ends, no longer.
	long := issue([]string{"fleet/fleet:read"}, 2*time.Hour)
	if _, err := f.pats.Regenerate(ctx, dev, c.Token.ID, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	var left time.Duration
	if err := f.st.DB().Get(&left, `SELECT extract(epoch FROM expires_at - now())::bigint * 1000000000 FROM oauth_access_tokens WHERE hash = $1`, f.hasher.Hash(long)); err != nil {
		t.Fatal(err)
	}
	if left > 30*time.Minute || left < 29*time.Minute {
		t.Errorf("access token of the old secret ends in %v, want the 30 minutes of grace", left)
	}
	if _, err := v.Verify(ctx, long, "sandbox", "192.0.2.1"); err != nil {
		t.Errorf("during the grace period: %v", err)
	}
}

// TestInspectReportsTheGraceEnd: introspecting the secret a rotation
// replaced says it is valid until its grace period ends, not until the
// token's own expiry, so a resource server caching the answer stops in time.
func TestInspectReportsTheGraceEnd(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := credential.NewVerifier(f.st, f.hasher)
	old := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read")
	if _, err := f.pats.Regenerate(ctx, f.actor(t, "dev@harbor.test"), old.Token.ID, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	_, until, err := v.Inspect(ctx, old.Plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if left := time.Until(until); left > 30*time.Minute || left < 29*time.Minute {
		t.Errorf("old secret valid for %v, want the 30 minutes of grace", left)
	}
}
