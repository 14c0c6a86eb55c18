package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestTokensPageType: the type filter lists OAuth clients alone or
// personal access tokens alone, page after page, under every status
// filter, on a partner's list and a user's; empty lists both. Another
// partner's clients never show.
func TestTokensPageType(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	harbor := partnerOf(t, st, "admin@harbor.test")
	dev := userOf(t, st, "dev@harbor.test")
	addTokens(t, st, "dev@harbor.test", "dev", 60)
	addTokens(t, st, "admin@harbor.test", "admin", 20)
	addTokens(t, st, "dev@crane.test", "crane", 20)
	// Every third token becomes an OAuth client.
	if _, err := st.DB().Exec(`UPDATE tokens SET client_id = 'pcl_' || lpad(id::text, 22, '0') WHERE id % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	var clients []int64
	if err := st.DB().Select(&clients, `SELECT id FROM tokens WHERE client_id IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
	isClient := func(tk store.Token) bool { return slices.Contains(clients, tk.ID) }
	for _, sc := range []struct {
		name, column string
		id           int64
		page         func(store.TokenQuery) ([]store.Token, bool, error)
	}{
		{"partner", "t.partner_id", harbor, func(q store.TokenQuery) ([]store.Token, bool, error) { return st.PartnerTokensPage(ctx, harbor, q) }},
		{"user", "t.user_id", dev, func(q store.TokenQuery) ([]store.Token, bool, error) { return st.UserTokensPage(ctx, dev, q) }},
	} {
		for _, status := range store.TokenStatuses {
			for _, typ := range []string{"", store.TokenTypeTokens, store.TokenTypeClients} {
				t.Run(sc.name+"/"+status+"/"+typ, func(t *testing.T) {
					want := slices.DeleteFunc(filtered(t, st, sc.column, sc.id, status), func(tk store.Token) bool {
						return (typ == store.TokenTypeClients && !isClient(tk)) || (typ == store.TokenTypeTokens && isClient(tk))
					})
					if len(want) == 0 {
						t.Fatalf("no %q tokens under %s: the test needs some", typ, status)
					}
					var got []store.Token
					var after *store.Key
					for range 100 {
						page, more, err := sc.page(store.TokenQuery{ListQuery: store.ListQuery{Limit: 3, After: after}, Status: status, Type: typ})
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, page...)
						if !more {
							break
						}
						k := page[len(page)-1].Key()
						after = &k
					}
					for _, tk := range got {
						if (tk.ClientID != nil) != isClient(tk) {
							t.Errorf("%s: ClientID %v does not say what the row is", tk.Name, tk.ClientID)
						}
					}
					if diff := cmp.Diff(names(want), names(got)); diff != "" {
						t.Errorf("listed (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
	if _, _, err := st.PartnerTokensPage(ctx, harbor, store.TokenQuery{Type: "oauth"}); err == nil {
		t.Error("an unknown type was listed")
	}
}
