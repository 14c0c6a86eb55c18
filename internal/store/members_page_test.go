package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// addMembers inserts active developers of the partner of the user with
// ownerEmail, as (name, email) pairs.
func addMembers(t *testing.T, st *store.Store, ownerEmail string, people ...[2]string) {
	t.Helper()
	for _, p := range people {
		if _, err := st.DB().Exec(`INSERT INTO users (email, name, role, partner_id)
			SELECT $1, $2, 'developer', partner_id FROM users WHERE email = $3`, p[1], p[0], ownerEmail); err != nil {
			t.Fatalf("add %v: %v", p, err)
		}
	}
}

func partnerOf(t *testing.T, st *store.Store, email string) int64 {
	t.Helper()
	var id int64
	if err := st.DB().Get(&id, `SELECT partner_id FROM users WHERE email = $1`, email); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestMembersPageEveryMemberOnce: walking the list page by page serves
// every member exactly once, in name order, even when members whose names
// sort before and after the cursor join between two pages: none of the
// earlier members is repeated or skipped, and the later newcomers appear.
func TestMembersPageEveryMemberOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	harbor := partnerOf(t, st, "admin@harbor.test")
	var people [][2]string
	for i := range 95 {
		// Mixed case and equal names, so the order needs lower(name) and id.
		name := fmt.Sprintf("member %03d", i/2*2)
		if i%3 == 0 {
			name = fmt.Sprintf("Member %03d", i/2*2)
		}
		people = append(people, [2]string{name, fmt.Sprintf("m%03d@harbor.test", i)})
	}
	addMembers(t, st, "admin@harbor.test", people...)
	// Another partner's people never show.
	addMembers(t, st, "admin@crane.test", [2]string{"member 001", "m001@crane.test"}, [2]string{"Member 050", "m050@crane.test"})

	before, err := st.PartnerMembers(ctx, harbor)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, m := range before {
		want = append(want, m.Email)
	}

	var got []string
	var after *store.Key
	var sizes []int
	for page := 0; ; page++ {
		ms, more, err := st.PartnerMembersPage(ctx, harbor, store.MemberQuery{ListQuery: store.ListQuery{After: after, Limit: 20}})
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(ms))
		for _, m := range ms {
			got = append(got, m.Email)
		}
		if page == 1 {
			// Between page 2 and 3: one sorting before the cursor (it is
			// not served: it belongs to pages already read), one after.
			addMembers(t, st, "admin@harbor.test", [2]string{"Aaron Early", "early@harbor.test"}, [2]string{"zed Late", "late@harbor.test"})
		}
		if !more {
			break
		}
		k := ms[len(ms)-1].Key()
		after = &k
		if page > 10 {
			t.Fatal("no last page")
		}
	}
	wantAll := append(slices.Clone(want), "late@harbor.test")
	if diff := cmp.Diff(wantAll, got); diff != "" {
		t.Errorf("members across pages (-want +got):\n%s", diff)
	}
	for i, n := range sizes[:len(sizes)-1] {
		if n != 20 {
			t.Errorf("page %d holds %d members, want 20", i+1, n)
		}
	}
	seen := map[string]bool{}
	for _, e := range got {
		if seen[e] {
			t.Errorf("%s served twice", e)
		}
		seen[e] = true
	}
}

// TestMembersPageSearch: the search matches name or email, ignoring case,
// takes % and _ literally, and stays within the partner.
func TestMembersPageSearch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	harbor := partnerOf(t, st, "admin@harbor.test")
	addMembers(t, st, "admin@harbor.test",
		[2]string{"Grace Hopper", "grace@harbor.test"},
		[2]string{"Alan Turing", "alan.t@harbor.test"},
		[2]string{"100% Sure", "sure@harbor.test"},
		[2]string{"Under_Score", "under@harbor.test"},
		[2]string{"UnderXScore", "underx@harbor.test"},
		[2]string{`Back\slash`, "back@harbor.test"},
	)
	addMembers(t, st, "admin@crane.test",
		[2]string{"Grace Crane", "grace@crane.test"},
		[2]string{"100% Crane", "sure@crane.test"},
		[2]string{"Under_Crane", "under@crane.test"},
	)
	for _, tc := range []struct {
		search string
		want   []string
	}{
		{"grace", []string{"grace@harbor.test"}},
		{"GRACE", []string{"grace@harbor.test"}},
		{"ALAN.T@", []string{"alan.t@harbor.test"}},
		{"%", []string{"sure@harbor.test"}},
		{"0%", []string{"sure@harbor.test"}},
		{"r_s", []string{"under@harbor.test"}},
		{"_", []string{"under@harbor.test"}},
		{`\`, []string{"back@harbor.test"}},
		{"crane", nil},
		{"nobody", nil},
		{"  grace  ", []string{"grace@harbor.test"}},
	} {
		t.Run(tc.search, func(t *testing.T) {
			ms, more, err := st.PartnerMembersPage(ctx, harbor, store.MemberQuery{ListQuery: store.ListQuery{Search: tc.search, Limit: 50}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, m := range ms {
				got = append(got, m.Email)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" || more {
				t.Errorf("search %q (-want +got):\n%s more=%v", tc.search, diff, more)
			}
		})
	}
}

// TestPartnerMemberWithTeams: one member with their teams; another
// partner's user or a removed one is not found.
func TestPartnerMemberWithTeams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	harbor := partnerOf(t, st, "admin@harbor.test")
	all, err := st.PartnerMembers(ctx, harbor)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		got, err := st.PartnerMemberWithTeams(ctx, harbor, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m, *got); diff != "" {
			t.Errorf("member %s (-list +one):\n%s", m.Email, diff)
		}
	}
	var crane int64
	if err := st.DB().Get(&crane, `SELECT id FROM users WHERE email = 'dev@crane.test'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PartnerMemberWithTeams(ctx, harbor, crane); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another partner's user: err = %v, want ErrNotFound", err)
	}
}
