package lifecycle

import (
	"context"
	"errors"
	"testing"

	"github.com/portico/portico/internal/store"
)

// TestEndingRemovesTheIdentityProvider: ending Harbor removes its
// identity provider with its domains, mappings and identity links, in the
// same action, counted in partner.end; its domain is then free for
// another partner's provider, and Crane's provider stays.
func TestEndingRemovesTheIdentityProvider(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	harbor := f.harbor(t)
	var crane int64
	if err := f.db.Get(&crane, `SELECT id FROM partners WHERE slug = 'crane-works'`); err != nil {
		t.Fatal(err)
	}
	save := func(partnerID int64, domains ...string) (*store.IdentityProvider, error) {
		return f.st.SaveIdentityProvider(ctx, store.IdentityProviderInput{PartnerID: &partnerID, DisplayName: "Directory",
			Issuer: "https://idp.invalid", ClientID: "portico", ClientSecretEnc: []byte("sealed"), Domains: domains})
	}
	p, err := save(harbor, "harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := save(crane, "crane.test"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddGroupMapping(ctx, p.ID, "portal-admins", nil, ptr(store.RolePartnerAdmin)); err != nil {
		t.Fatal(err)
	}
	admin, err := f.st.UserByEmail(ctx, "admin@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.st.SaveIdentity(ctx, store.UserIdentity{ProviderID: p.ID, Subject: "ada", UserID: admin.ID, Groups: []string{}}); err != nil {
		t.Fatal(err)
	}

	if _, err := f.job.svc.End(ctx, harbor); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.PartnerIdentityProvider(ctx, harbor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Harbor's provider after the end: %v, want none", err)
	}
	var left int
	if err := f.db.Get(&left, `SELECT (SELECT count(*) FROM user_identities) + (SELECT count(*) FROM sso_group_mappings)`); err != nil || left != 0 {
		t.Errorf("%d identities and mappings left (%v), want 0", left, err)
	}
	var removed, unlinked string
	if err := f.db.QueryRow(`SELECT details->>'identity_providers_removed', details->>'identities_unlinked' FROM audit_events
		WHERE action = 'partner.end' AND partner_id = $1`, harbor).Scan(&removed, &unlinked); err != nil {
		t.Fatal(err)
	}
	if removed != "1" || unlinked != "1" {
		t.Errorf("partner.end counts %s providers removed, %s identities unlinked; want 1 and 1", removed, unlinked)
	}
	if _, err := save(crane, "crane.test", "harbor.test"); err != nil {
		t.Errorf("Crane taking harbor.test after Harbor ended: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
