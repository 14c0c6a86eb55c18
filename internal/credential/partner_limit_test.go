package credential_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/portico/portico/internal/credential"
)

// TestPartnerCeilingInThePrincipal: a partner's ceiling travels in the
// principal of its personal access tokens and OAuth access tokens alike,
// with its limiter key computed once; changing it makes a listening node
// forget that partner's cached verifications, and only those.
func TestPartnerCeilingInThePrincipal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	v := f.listening(t)
	harborPAT := f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	_, issue := f.client(t, nil, "fleet/fleet:read")
	harborAT := issue([]string{"fleet/fleet:read"}, 15*time.Minute)
	crane := f.token(t, "dev@crane.test", "sandbox", "fleet/fleet:read").Plaintext
	harbor := f.actor(t, "dev@harbor.test").PartnerID
	verify := func(plain string) *credential.Principal {
		t.Helper()
		p, err := v.Verify(ctx, plain, "sandbox", "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, plain := range []string{harborPAT, harborAT, crane} {
		if p := verify(plain); p.PartnerLimit != 0 || p.PartnerRateKey != "" {
			t.Errorf("no ceiling yet: PartnerLimit %d, key %q", p.PartnerLimit, p.PartnerRateKey)
		}
	}
	craneBefore := verify(crane)

	if _, err := f.st.DB().Exec(`UPDATE partners SET rate_limit_per_minute = 50 WHERE id = $1`, harbor); err != nil {
		t.Fatal(err)
	}
	wantKey := "rlp:" + strconv.FormatInt(harbor, 10)
	for name, plain := range map[string]string{"personal access token": harborPAT, "OAuth access token": harborAT} {
		var p *credential.Principal
		within(t, time.Second, name+": ceiling seen", func() bool {
			p = verify(plain)
			return p.PartnerLimit == 50
		})
		if p.PartnerRateKey != wantKey {
			t.Errorf("%s: PartnerRateKey = %q, want %q", name, p.PartnerRateKey, wantKey)
		}
		if verify(plain) != p {
			t.Errorf("%s: a cached verification built a new principal", name)
		}
	}
	// Another partner's cached verification was kept: the same principal.
	if verify(crane) != craneBefore {
		t.Error("a change to Harbor's ceiling dropped Crane's cached verification")
	}

	// Removing it is seen too.
	if _, err := f.st.DB().Exec(`UPDATE partners SET rate_limit_per_minute = NULL WHERE id = $1`, harbor); err != nil {
		t.Fatal(err)
	}
	within(t, time.Second, "ceiling removal seen", func() bool {
		p := verify(harborPAT)
		return p.PartnerLimit == 0 && p.PartnerRateKey == ""
	})
}
