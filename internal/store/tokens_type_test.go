package store_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// TestTokensPageTypeFilter: the type filter of the token lists serves the
// personal access tokens or the OAuth clients (rows with a client id) of a
// status filter, page by page, each once; without it both.
func TestTokensPageTypeFilter(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	harbor := partnerOf(t, st, "admin@harbor.test")
	dev := userOf(t, st, "dev@harbor.test")
	addTokens(t, st, "dev@harbor.test", "dev", 40)
	addTokens(t, st, "dev@crane.test", "crane", 20)
	// Every third token of each is made a client.
	if _, err := st.DB().Exec(`
		UPDATE tokens SET client_id = 'pcl_' || lpad(id::text, 22, '0')
		WHERE id % 3 = 0 AND NOT console`); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []struct {
		name, column string
		id           int64
		page         func(store.TokenQuery) ([]store.Token, bool, error)
	}{
		{"partner", "t.partner_id", harbor, func(q store.TokenQuery) ([]store.Token, bool, error) { return st.PartnerTokensPage(ctx, harbor, q) }},
		{"user", "t.user_id", dev, func(q store.TokenQuery) ([]store.Token, bool, error) { return st.UserTokensPage(ctx, dev, q) }},
	} {
		for _, status := range []string{store.TokensOpen, store.TokensAll} {
			for _, typ := range []string{"", store.TokenTypeTokens, store.TokenTypeClients} {
				t.Run(sc.name+"/"+status+"/"+typ, func(t *testing.T) {
					var want []string
					for _, tk := range filtered(t, st, sc.column, sc.id, status) {
						full, err := st.TokenByID(ctx, tk.ID)
						if err != nil {
							t.Fatal(err)
						}
						if typ == "" || (typ == store.TokenTypeClients) == full.IsClient() {
							want = append(want, tk.Name)
						}
					}
					if len(want) < 5 {
						t.Fatalf("%d tokens expected: the test needs more", len(want))
					}
					var got []string
					var after *store.Key
					for range 50 {
						ts, more, err := sc.page(store.TokenQuery{ListQuery: store.ListQuery{After: after, Limit: 4}, Status: status, Type: typ})
						if err != nil {
							t.Fatal(err)
						}
						for _, tk := range ts {
							if typ != "" && (typ == store.TokenTypeClients) != tk.IsClient() {
								t.Errorf("%s listed under %q", tk.Name, typ)
							}
						}
						got = append(got, names(ts)...)
						if !more {
							break
						}
						k := ts[len(ts)-1].Key()
						after = &k
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Errorf("served (-want +got):\n%s", diff)
					}
				})
			}
		}
	}
	if _, _, err := st.PartnerTokensPage(ctx, harbor, store.TokenQuery{Type: "robots"}); err == nil {
		t.Error("an unknown type is listed")
	}
}
