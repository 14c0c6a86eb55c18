package sso_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
)

func admitOf(f *fixture, p *store.IdentityProvider, sub, email string, groups ...string) (*store.User, error) {
	return f.svc.Admit(context.Background(), &sso.Identity{Provider: p, Subject: sub, Email: email, EmailVerified: true,
		Name: "X", Groups: groups}, sso.Attempt{})
}

// TestFirstSignInTwiceAtOnce: the same new person signing in on two
// devices at once gets one account, and both sign-ins succeed (no 500).
func TestFirstSignInTwiceAtOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p := f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", false)
	for round := range 10 {
		var wg sync.WaitGroup
		ids := make([]int64, 3)
		errs := make([]error, 3)
		start := make(chan struct{})
		for i := range 3 {
			wg.Go(func() {
				<-start
				u, err := admitOf(f, p, fmt.Sprint("new-sub", round), fmt.Sprint("new", round, "@harbor.test"))
				errs[i] = err
				if u != nil {
					ids[i] = u.ID
				}
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d sign-in %d: %v", round, i, err)
			}
			if ids[i] != ids[0] {
				t.Fatalf("round %d: sign-ins got accounts %v, want one", round, ids)
			}
		}
	}
}

// TestDomainTakenOffStopsItsPeople: people who signed in before are
// refused once their address's domain is no longer the provider's.
func TestDomainTakenOffStopsItsPeople(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	p := f.provider(t, &f.harbor, "https://idp.invalid", "c", "s", false)
	if _, err := admitOf(f, p, "dev-sub", "dev@harbor.test"); err != nil {
		t.Fatal(err)
	}
	p2, err := f.st.SaveIdentityProvider(context.Background(), store.IdentityProviderInput{PartnerID: &f.harbor, DisplayName: "Harbor",
		Issuer: "https://idp.invalid", ClientID: "c", GroupsClaim: "groups", Domains: []string{"ops.harbor.test"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admitOf(f, p2, "dev-sub", "dev@harbor.test")
	var re *sso.RefusedError
	if !errors.As(err, &re) || re.Kind != sso.RefusedDomain {
		t.Errorf("harbor.test is no longer the provider's: err = %v, want a domain refusal", err)
	}
}
