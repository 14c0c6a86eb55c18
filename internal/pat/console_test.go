package pat_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func TestConsoleToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@harbor.test")

	c, err := f.svc.ConsoleToken(ctx, dev, "maintenance")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.Plaintext, "ptc_sbx_") {
		t.Errorf("console token %q is not a sandbox token", c.Plaintext[:8])
	}
	// Exactly the developer's scopes of that API, for 15 minutes.
	if diff := cmp.Diff([]string{"maintenance/maintenance:read", "maintenance/maintenance:write"}, []string(c.Token.Scopes)); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	if c.Token.Environment != store.EnvSandbox || c.Token.UserID != dev.UserID || c.Token.PartnerID != dev.PartnerID {
		t.Errorf("token = %+v", c.Token)
	}
	if life := c.Token.ExpiresAt.Sub(c.Token.CreatedAt); life < pat.ConsoleTTL-time.Minute || life > pat.ConsoleTTL+time.Minute {
		t.Errorf("console token lives %s, want %s", life, pat.ConsoleTTL)
	}

	// The gateway's verifier takes it, in the sandbox only.
	v := credential.NewVerifier(f.st, token.NewHasher(secret))
	p, err := v.Verify(ctx, c.Plaintext, store.EnvSandbox, "127.0.0.1")
	if err != nil {
		t.Fatalf("verify console token: %v", err)
	}
	if !p.Allows("maintenance", "maintenance:write") || p.Allows("fleet", "fleet:read") {
		t.Error("the console token's principal does not hold exactly the maintenance scopes")
	}
	if _, err := v.Verify(ctx, c.Plaintext, store.EnvLive, "127.0.0.1"); !errors.Is(err, credential.ErrEnvironment) {
		t.Errorf("console token on live: %v, want ErrEnvironment", err)
	}

	// Hidden from every token list.
	// Every filter: a console token is open, and none of them lists it.
	own, err := f.svc.ListOwn(ctx, dev, store.TokenQuery{Status: store.TokensAll})
	if err != nil {
		t.Fatal(err)
	}
	admin := f.actor(t, "admin@harbor.test")
	all, err := f.svc.ListPartner(ctx, admin, dev.PartnerID, store.TokenQuery{Status: store.TokensAll})
	if err != nil {
		t.Fatal(err)
	}
	open, err := f.svc.ListPartner(ctx, admin, dev.PartnerID, store.TokenQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(own.Tokens) != 0 || len(all.Tokens) != 0 || len(open.Tokens) != 0 || own.More || all.More {
		t.Errorf("token lists show console tokens: own %d, partner %d, partner's open %d", len(own.Tokens), len(all.Tokens), len(open.Tokens))
	}

	// Audited without the secret.
	events, err := f.st.ListAuditEvents(ctx, store.AuditFilter{Action: "token.console"})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range events {
		if e.Action == "token.console" && e.TargetID != nil && *e.TargetID == c.Token.ID {
			found = true
			if strings.Contains(string(e.Details), c.Plaintext) || strings.Contains(string(e.Details), c.Plaintext[8:20]) {
				t.Errorf("the audit event holds the secret: %s", e.Details)
			}
		}
	}
	if !found {
		t.Error("no token.console audit event")
	}

	// A new one (the next page load) retires the previous one of that API,
	// and not the console token of another API.
	fleet, err := f.svc.ConsoleToken(ctx, dev, "fleet")
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.ConsoleToken(ctx, dev, "maintenance")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   int64
		want string
	}{{c.Token.ID, "revoked"}, {fleet.Token.ID, "active"}, {again.Token.ID, "active"}} {
		got, err := f.st.TokenByID(ctx, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		if s := got.Status(time.Now()); s != tc.want {
			t.Errorf("console token %d (%s) is %s, want %s", tc.id, got.Name, s, tc.want)
		}
	}

	// Never mailed about, although it expires within a day.
	if n, err := f.svc.SendExpiryNotices(ctx); err != nil || n != 0 {
		t.Errorf("expiry notices for console tokens: %d (%v), want none", n, err)
	}
}

func TestConsoleTokenRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		actor access.Actor
		api   string
		want  error
	}{
		{"staff hold no grants", f.actor(t, "am@portico.test"), "fleet", pat.ErrForbidden},
		{"platform admin", f.actor(t, "admin@portico.test"), "fleet", pat.ErrForbidden},
		{"an API not granted", f.actor(t, "dev@crane.test"), "telemetry", pat.ErrNotFound},
		{"an API that does not exist", f.actor(t, "dev@harbor.test"), "nope", pat.ErrNotFound},
		{"nobody", access.Actor{}, "fleet", pat.ErrForbidden},
	} {
		if _, err := f.svc.ConsoleToken(ctx, tc.actor, tc.api); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestConsoleTokensAreCappedPerHour(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@crane.test")
	for i := range pat.ConsolePerHour {
		if _, err := f.svc.ConsoleToken(ctx, dev, "fleet"); err != nil {
			t.Fatalf("console token %d: %v", i+1, err)
		}
	}
	_, err := f.svc.ConsoleToken(ctx, dev, "fleet")
	var limit *pat.ConsoleLimitError
	if !errors.As(err, &limit) || limit.RetryAfter <= 0 || limit.RetryAfter > time.Hour {
		t.Fatalf("console token past the cap: %v, want a ConsoleLimitError with a retry time", err)
	}
	// Others are not affected.
	if _, err := f.svc.ConsoleToken(ctx, f.actor(t, "dev@harbor.test"), "fleet"); err != nil {
		t.Errorf("another user's console token: %v", err)
	}
	// An hour later the cap lets them mint again, and the tokens that
	// ended a day ago are deleted.
	if _, err := f.st.DB().Exec(`UPDATE tokens SET created_at = created_at - interval '25 hours', expires_at = expires_at - interval '25 hours',
		revoked_at = revoked_at - interval '25 hours' WHERE user_id = $1`, dev.UserID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConsoleToken(ctx, dev, "fleet"); err != nil {
		t.Fatalf("console token an hour later: %v", err)
	}
	var n int
	if err := f.st.DB().Get(&n, `SELECT count(*) FROM tokens WHERE user_id = $1 AND console`, dev.UserID); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d console tokens kept, want the new one only", n)
	}
}

// TestConcurrentConsoleTokensKeepTheCap mints 40 console tokens at once for
// one user: exactly the hourly cap of them is minted, the rest refused.
func TestConcurrentConsoleTokensKeepTheCap(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	dev := f.actor(t, "dev@crane.test")
	const n = pat.ConsolePerHour + 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.ConsoleToken(ctx, dev, "fleet")
		}()
	}
	wg.Wait()
	minted, limited := 0, 0
	for _, err := range errs {
		var limit *pat.ConsoleLimitError
		switch {
		case err == nil:
			minted++
		case errors.As(err, &limit):
			limited++
		default:
			t.Fatalf("console token: %v", err)
		}
	}
	if minted != pat.ConsolePerHour || limited != n-pat.ConsolePerHour {
		t.Errorf("%d concurrent console tokens: %d minted, %d refused; want %d and %d", n, minted, limited, pat.ConsolePerHour, n-pat.ConsolePerHour)
	}
}
