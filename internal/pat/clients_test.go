package pat_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/token"
)

func TestParseNetworks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw   string
		want  []string
		field string
	}{
		{"", []string{}, ""},
		{"203.0.113.7", []string{"203.0.113.7/32"}, ""},
		{"203.0.113.9/24, 2001:db8::1/48\n203.0.113.0/24", []string{"2001:db8::/48", "203.0.113.0/24"}, ""},
		{"::ffff:198.51.100.0/120", []string{"198.51.100.0/24"}, ""},
		{"10.0.0.0/33", nil, "networks"},
		{"fe80::1%eth0", nil, "networks"},
		{"not-an-address", nil, "networks"},
		{"1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 1.1.1.7 1.1.1.8 1.1.1.9 1.1.1.10 1.1.1.11 1.1.1.12 1.1.1.13 1.1.1.14 1.1.1.15 1.1.1.16 1.1.1.17 1.1.1.18 1.1.1.19 1.1.1.20 1.1.1.21", nil, "networks"},
	}
	for _, tc := range tests {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := pat.ParseNetworks(tc.raw)
			if field(err) != tc.field {
				t.Fatalf("ParseNetworks(%q) error = %v, want field %q", tc.raw, err, tc.field)
			}
			if tc.field == "" {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("ParseNetworks(%q) (-want +got):\n%s", tc.raw, diff)
				}
			}
		})
	}
}

func TestCreateClient(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	admin := f.actor(t, "admin@harbor.test")
	dev := f.actor(t, "dev@harbor.test")
	// The demo's partner admin is granted nothing; put them in the
	// developer's team, which is granted the fleet API.
	var team int64
	if err := f.st.DB().GetContext(ctx, &team, `SELECT id FROM teams WHERE name = 'Integrations'`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.AddTeamMember(ctx, team, admin.UserID); err != nil {
		t.Fatal(err)
	}
	in := pat.ClientInput{Input: pat.Input{Name: "Billing server", Environment: "sandbox", Days: 30,
		Scopes: []string{"fleet/fleet:read"}}, Networks: []string{"203.0.113.0/24"}}

	// Developers may not register clients until their partner allows it.
	if _, err := f.svc.CreateClient(ctx, dev, in); !errors.Is(err, pat.ErrForbidden) {
		t.Fatalf("developer's client: err = %v, want ErrForbidden", err)
	}
	c, err := f.svc.CreateClient(ctx, admin, in)
	if err != nil {
		t.Fatalf("partner admin's client: %v", err)
	}
	if p, err := token.Parse(c.Secret); err != nil || p.Kind != token.KindClientSecret {
		t.Fatalf("secret does not parse as a client secret: %v", err)
	}
	if !token.ValidPublicID(token.ClientIDPrefix, c.ClientID) || c.Token.ClientID == nil || *c.Token.ClientID != c.ClientID {
		t.Errorf("client id %q, row's %v", c.ClientID, c.Token.ClientID)
	}
	if diff := cmp.Diff([]string{"203.0.113.0/24"}, []string(c.Token.AllowedNetworks)); diff != "" {
		t.Errorf("networks (-want +got):\n%s", diff)
	}
	if !c.Token.IsClient() || c.Token.Status(time.Now()) != "active" {
		t.Errorf("client row: client %v, status %s", c.Token.IsClient(), c.Token.Status(time.Now()))
	}
	// Rotating a client issues a new client secret, not a PAT.
	r, err := f.svc.Regenerate(ctx, admin, c.Token.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := token.Parse(r.Plaintext); err != nil || p.Kind != token.KindClientSecret {
		t.Fatalf("rotated secret does not parse as a client secret: %v", err)
	}

	if err := f.st.SetDeveloperClients(ctx, admin.PartnerID, true); err != nil {
		t.Fatal(err)
	}
	// A developer asks for what they are granted, not more.
	bad := in
	bad.Scopes = []string{"fleet/no-such-scope"}
	if _, err := f.svc.CreateClient(ctx, dev, bad); field(err) != "scopes" {
		t.Errorf("ungranted scope: err = %v, want a scopes field error", err)
	}
	bad = in
	bad.Networks = []string{"nonsense"}
	if _, err := f.svc.CreateClient(ctx, dev, bad); field(err) != "networks" {
		t.Errorf("bad network: err = %v, want a networks field error", err)
	}
	if _, err := f.svc.CreateClient(ctx, dev, in); err != nil {
		t.Errorf("developer's client once allowed: %v", err)
	}

	// Its owner's mails call it what the portal calls it.
	if _, err := f.st.DB().Exec(`UPDATE tokens SET expires_at = now() + interval '12 hours' WHERE id = $1`, c.Token.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SendExpiryNotices(ctx); err != nil {
		t.Fatal(err)
	}
	ms, _, err := f.st.ListMails(ctx, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range ms {
		subjects = append(subjects, m.Subject)
	}
	if diff := cmp.Diff([]string{"Your OAuth client “Billing server” expires within a day"}, subjects); diff != "" {
		t.Errorf("mails (-want +got):\n%s", diff)
	}
}
