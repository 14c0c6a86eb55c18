package auth_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func seeded(t *testing.T) *store.Store {
	t.Helper()
	st := pgtest.Store(t)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st
}

// outcome sorts a sign-in's answer: "checked" when the password was
// checked (and wrong), "throttled" when refused before that.
func outcome(t *testing.T, u *store.User, err error) string {
	t.Helper()
	var throttled *auth.ThrottledError
	switch {
	case err == nil && u != nil:
		return "signed in"
	case errors.Is(err, auth.ErrBadCredentials):
		return "checked"
	case errors.As(err, &throttled):
		if throttled.Wait <= 0 {
			t.Errorf("throttled with wait %s", throttled.Wait)
		}
		return "throttled"
	}
	t.Fatalf("sign-in: %v", err)
	return ""
}

// concurrently runs n sign-ins at once and counts their outcomes.
func concurrently(t *testing.T, n int, signIn func(i int) (*store.User, error)) map[string]int {
	t.Helper()
	var wg sync.WaitGroup
	users := make([]*store.User, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			users[i], errs[i] = signIn(i)
		}()
	}
	close(start)
	wg.Wait()
	got := map[string]int{}
	for i := range n {
		got[outcome(t, users[i], errs[i])]++
	}
	return got
}

// TestConcurrentWrongPasswordsAreThrottled fires 50 wrong passwords for
// one account at once: only the account's free budget reaches a password
// check, every other one is refused (issue 11, finding 2).
func TestConcurrentWrongPasswordsAreThrottled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	for _, email := range []string{"dev@harbor.test", "nobody@harbor.test"} {
		t.Run(email, func(t *testing.T) {
			got := concurrently(t, 50, func(i int) (*store.User, error) {
				// Each from its own address: the account's budget is the one raced.
				return auth.SignIn(ctx, st, email, "wrong-password", fmt.Sprintf("192.0.2.%d", i))
			})
			if got["checked"] != auth.FreePerEmail || got["throttled"] != 50-auth.FreePerEmail {
				t.Errorf("50 concurrent wrong passwords: %v, want %d checked and the rest throttled", got, auth.FreePerEmail)
			}
		})
	}
}

// TestConcurrentAttemptsFromOneAddress fires 50 wrong passwords for 50
// accounts from one address at once: the address's free budget and one
// low-rate slot reach a password check, no more.
func TestConcurrentAttemptsFromOneAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	got := concurrently(t, 50, func(i int) (*store.User, error) {
		return auth.SignIn(ctx, st, fmt.Sprintf("guess%d@harbor.test", i), "wrong-password", "198.51.100.7")
	})
	if got["checked"] != auth.FreePerIP+1 || got["throttled"] != 50-auth.FreePerIP-1 {
		t.Errorf("50 concurrent guesses from one address: %v, want %d checked (budget and one slot), the rest throttled", got, auth.FreePerIP+1)
	}
}

// TestIPv6AddressesShareTheirSlash64: a host holds a whole /64, so
// guesses from its many addresses share one budget.
func TestIPv6AddressesShareTheirSlash64(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	got := concurrently(t, 50, func(i int) (*store.User, error) {
		return auth.SignIn(ctx, st, fmt.Sprintf("guess%d@harbor.test", i), "wrong-password", fmt.Sprintf("2001:db8:1:2::%x", i+1))
	})
	if got["checked"] != auth.FreePerIP+1 {
		t.Errorf("50 guesses from 50 addresses of one /64: %v, want %d checked", got, auth.FreePerIP+1)
	}
	if _, err := auth.SignIn(ctx, st, "guess@harbor.test", "wrong-password", "2001:db8:1:3::1"); !errors.Is(err, auth.ErrBadCredentials) {
		t.Errorf("a guess from another /64 = %v, want it checked", err)
	}
}

func TestAddressKey(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"198.51.100.7":             "198.51.100.7",
		"::ffff:198.51.100.7":      "198.51.100.7",
		"2001:db8:1:2:aaaa::1":     "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff:ffff::": "2001:db8:1:2::/64",
		"fe80::1%eth0":             "fe80::/64",
		"not an address":           "not an address",
	} {
		if got := auth.AddressKey(in); got != want {
			t.Errorf("AddressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestAddressOverBudgetStillSignsInAtALowRate: a guesser behind an
// office's shared address spends its budget; a colleague's right password
// still gets through, one per IPSlot, instead of being refused for 15
// minutes (issue 11, finding 10).
func TestAddressOverBudgetStillSignsInAtALowRate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	const nat = "203.0.113.9"
	for i := range auth.FreePerIP {
		if _, err := auth.SignIn(ctx, st, fmt.Sprintf("guess%d@harbor.test", i), "wrong-password", nat); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess %d: %v, want ErrBadCredentials", i+1, err)
		}
	}
	if u, err := auth.SignIn(ctx, st, "dev@harbor.test", demo.Password, nat); err != nil || u.Email != "dev@harbor.test" {
		t.Fatalf("right password from an address over its budget = %v, want signed in (the low-rate slot)", err)
	}
	// The slot is taken: the next attempt waits at most IPSlot, not minutes.
	_, err := auth.SignIn(ctx, st, "admin@harbor.test", demo.Password, nat)
	var throttled *auth.ThrottledError
	if !errors.As(err, &throttled) || throttled.Wait > auth.IPSlot {
		t.Fatalf("second attempt in the slot = %v, want throttled for at most %s", err, auth.IPSlot)
	}
	// Once the slot has passed, the next right password gets through.
	if _, err := st.DB().Exec(`UPDATE attempt_counters SET blocked_until = now() - interval '1 second' WHERE kind = $1 AND key = $2`, store.CounterSignInIP, nat); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.SignIn(ctx, st, "admin@harbor.test", demo.Password, nat); err != nil {
		t.Errorf("right password in the next slot = %v, want signed in", err)
	}
	// Another address is not affected at all.
	if _, err := auth.SignIn(ctx, st, "admin@crane.test", demo.Password, "203.0.113.10"); err != nil {
		t.Errorf("right password from another address = %v", err)
	}
}

// TestAccountBudget walks the per-account budget one attempt at a time:
// five free failures, then waits that double; a right password clears it.
func TestAccountBudget(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	ip := "192.0.2.200"
	for i := range auth.FreePerEmail {
		if _, err := auth.SignIn(ctx, st, "dev@crane.test", "wrong-password", ip); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	waitIs := func(want time.Duration) {
		t.Helper()
		_, err := auth.SignIn(ctx, st, "dev@crane.test", demo.Password, ip)
		var throttled *auth.ThrottledError
		if !errors.As(err, &throttled) || throttled.Wait > want || throttled.Wait < want-5*time.Second {
			t.Fatalf("= %v, want throttled about %s", err, want)
		}
	}
	waitIs(30 * time.Second)
	// The wait passes; one more wrong password doubles it.
	expire := func() {
		t.Helper()
		if _, err := st.DB().Exec(`UPDATE attempt_counters SET blocked_until = now() WHERE kind = $1`, store.CounterSignInAccount); err != nil {
			t.Fatal(err)
		}
	}
	expire()
	if _, err := auth.SignIn(ctx, st, "dev@crane.test", "wrong-password", ip); !errors.Is(err, auth.ErrBadCredentials) {
		t.Fatalf("failure after the wait: %v", err)
	}
	waitIs(time.Minute)
	expire()
	if _, err := auth.SignIn(ctx, st, "dev@crane.test", demo.Password, ip); err != nil {
		t.Fatalf("right password after the wait: %v", err)
	}
	// Cleared: five free failures again.
	for i := range auth.FreePerEmail {
		if _, err := auth.SignIn(ctx, st, "dev@crane.test", "wrong-password", ip); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("failure %d after a good sign-in: %v", i+1, err)
		}
	}
}

// TestConcurrentPasswordConfirmations races wrong confirmations of a
// signed-in user's password: only the account's free budget is checked.
func TestConcurrentPasswordConfirmations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	u, err := st.UserByEmail(ctx, "admin@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	got := concurrently(t, 30, func(int) (*store.User, error) {
		return nil, auth.ConfirmPassword(ctx, st, u, "wrong-password")
	})
	if got["checked"] != auth.FreePerEmail {
		t.Errorf("30 concurrent wrong confirmations: %v, want %d checked", got, auth.FreePerEmail)
	}
}

// TestRefusedAttemptsWriteNothing: once an account is throttled, further
// attempts are refused from a read: no row version is written (a flood of
// refused attempts must not queue on the counter's lock).
func TestRefusedAttemptsWriteNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	for range auth.FreePerEmail {
		if _, err := auth.SignIn(ctx, st, "dev@harbor.test", "wrong-password", "198.51.100.8"); !errors.Is(err, auth.ErrBadCredentials) {
			t.Fatalf("guess within the budget: %v", err)
		}
	}
	version := func() string {
		t.Helper()
		var xmin string
		if err := st.DB().Get(&xmin, `SELECT xmin::text FROM attempt_counters WHERE kind = $1 AND key = $2`,
			store.CounterSignInAccount, store.SignInAccountKey("dev@harbor.test")); err != nil {
			t.Fatal(err)
		}
		return xmin
	}
	before := version()
	var throttled *auth.ThrottledError
	if _, err := auth.SignIn(ctx, st, "dev@harbor.test", "wrong-password", "198.51.100.8"); !errors.As(err, &throttled) {
		t.Fatalf("guess past the budget: %v, want throttled", err)
	}
	if after := version(); after != before {
		t.Errorf("a refused attempt wrote the counter row (xmin %s -> %s)", before, after)
	}
}
