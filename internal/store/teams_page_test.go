package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// seeded is a demo database: Harbor (Ada, Dev) and Crane (Cleo, Dan)
// beside two staff members.
func seeded(t *testing.T) *store.Store {
	t.Helper()
	st := pgtest.Store(t)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st
}

// teamOf creates a team of the partner holding the users with the given
// emails.
func teamOf(t *testing.T, st *store.Store, partnerID int64, name string, emails ...string) int64 {
	t.Helper()
	ctx := context.Background()
	team, err := st.CreateTeam(ctx, partnerID, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`INSERT INTO team_memberships (team_id, user_id)
		SELECT $1, id FROM users WHERE email = ANY($2)`, team.ID, emails); err != nil {
		t.Fatal(err)
	}
	return team.ID
}

// TestTeamMembersPageEveryMemberOnce: a team's members page by page come
// exactly once each, by name, even when members join the team between two
// pages (on both sides of the cursor); the newcomers after the cursor show.
func TestTeamMembersPageEveryMemberOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	harbor := partnerOf(t, st, "admin@harbor.test")
	var emails []string
	var people [][2]string
	for i := range 45 {
		name := fmt.Sprintf("member %02d", i/2*2) // equal names: the id breaks the tie
		people = append(people, [2]string{name, fmt.Sprintf("m%02d@harbor.test", i)})
		emails = append(emails, fmt.Sprintf("m%02d@harbor.test", i))
	}
	addMembers(t, st, "admin@harbor.test", people...)
	team := teamOf(t, st, harbor, "Crew", emails...)
	addMembers(t, st, "admin@harbor.test", [2]string{"aaa early", "early@harbor.test"}, [2]string{"zzz late", "late@harbor.test"})

	seen := map[string]int{}
	var after *store.Key
	var sizes []int
	for page := 0; ; page++ {
		ms, more, err := st.TeamMembersPage(ctx, team, store.ListQuery{After: after, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(ms))
		for _, m := range ms {
			seen[m.Email]++
		}
		if page == 0 {
			// Two join: one sorting before the cursor, one after.
			if _, err := st.DB().Exec(`INSERT INTO team_memberships (team_id, user_id)
				SELECT $1, id FROM users WHERE email IN ('early@harbor.test', 'late@harbor.test')`, team); err != nil {
				t.Fatal(err)
			}
		}
		if !more {
			break
		}
		k := ms[len(ms)-1].Key()
		// The cursor goes through its text form, as the page's link does.
		after, _ = store.TeamMembersList.Parse(store.TeamMembersList.Cursor(k))
	}
	if diff := cmp.Diff([]int{20, 20, 6}, sizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	for _, e := range emails {
		if seen[e] != 1 {
			t.Errorf("%s seen %d times, want once", e, seen[e])
		}
	}
	if seen["early@harbor.test"] != 0 || seen["late@harbor.test"] != 1 {
		t.Errorf("newcomers seen early %d, late %d; want 0 (before the cursor) and 1", seen["early@harbor.test"], seen["late@harbor.test"])
	}

	// A search matches name or email, literally.
	ms, more, err := st.TeamMembersPage(ctx, team, store.ListQuery{Search: "M1_@", Limit: 50})
	if err != nil || more {
		t.Fatal(err, more)
	}
	if len(ms) != 0 {
		t.Errorf("search %q (a literal _) found %d members", "M1_@", len(ms))
	}
	ms, _, _ = st.TeamMembersPage(ctx, team, store.ListQuery{Search: "m1", Limit: 50})
	if len(ms) != 10 {
		t.Errorf("search m1 found %d members, want m10..m19", len(ms))
	}
	if n, err := st.TeamMemberCount(ctx, team); err != nil || n != 47 {
		t.Errorf("TeamMemberCount = %d, %v; want 47", n, err)
	}
}

// TestTeamCandidates: the add-member picker offers members of the team's
// partner only, never staff nor the team's members nor removed people, at
// most the limit asked (and never more than MaxPicker) even when hundreds
// match, saying more match.
func TestTeamCandidates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	harbor := partnerOf(t, st, "admin@harbor.test")
	team := teamOf(t, st, harbor, "Crew", "dev@harbor.test")
	if _, err := st.DB().Exec(`INSERT INTO users (email, name, role, partner_id)
		SELECT 'crew' || i || '@harbor.test', 'Crew ' || lpad(i::text, 3, '0'), 'developer', $1 FROM generate_series(1, 500) i`, harbor); err != nil {
		t.Fatal(err)
	}
	// Namesakes elsewhere: another partner, a removed member, staff.
	addMembers(t, st, "admin@crane.test", [2]string{"Crew 001", "crew1@crane.test"})
	if _, err := st.DB().Exec(`UPDATE users SET status = 'removed' WHERE email = 'crew2@harbor.test';
		INSERT INTO users (email, name, role) VALUES ('crew@portico.test', 'Crew Staff', 'account_manager')`); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		search string
		limit  int
		want   []string
		more   bool
	}{
		{"", 3, []string{"admin@harbor.test", "crew1@harbor.test", "crew3@harbor.test"}, true},
		{"crew 00", 20, []string{"crew1@harbor.test", "crew3@harbor.test", "crew4@harbor.test", "crew5@harbor.test", "crew6@harbor.test", "crew7@harbor.test", "crew8@harbor.test", "crew9@harbor.test"}, false},
		{"dev", 20, nil, false},        // in the team already
		{"crew staff", 20, nil, false}, // staff
		{"crane", 20, nil, false},      // another partner
	} {
		cs, more, err := st.TeamCandidates(ctx, harbor, team, tc.search, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range cs {
			got = append(got, c.Email)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || more != tc.more {
			t.Errorf("TeamCandidates(%q) more=%v (want %v) (-want +got):\n%s", tc.search, more, tc.more, diff)
		}
	}
	cs, more, err := st.TeamCandidates(ctx, harbor, team, "crew", 1000)
	if err != nil || len(cs) != store.MaxPicker || !more {
		t.Errorf("500 matches, limit 1000: %d candidates, more %v, %v; want %d and more", len(cs), more, err, store.MaxPicker)
	}
}

// TestPartnerTeamsPage: a partner's teams page by page, each once, by name,
// with member counts and a few names, and never another partner's teams.
func TestPartnerTeamsPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	harbor, crane := partnerOf(t, st, "admin@harbor.test"), partnerOf(t, st, "admin@crane.test")
	for i := range 25 {
		teamOf(t, st, harbor, fmt.Sprintf("Team %02d", i), "admin@harbor.test", "dev@harbor.test")
	}
	teamOf(t, st, crane, "Team 99 of Crane", "dev@crane.test")
	var names []string
	var after *store.Key
	for {
		ts, more, err := st.PartnerTeamsPage(ctx, harbor, store.ListQuery{After: after, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range ts {
			names = append(names, tm.Name)
			if tm.MemberCount != 2 || cmp.Diff([]string{"Ada Harbor", "Dev Harbor"}, []string(tm.Members)) != "" {
				t.Errorf("%s: %d members %v", tm.Name, tm.MemberCount, tm.Members)
			}
		}
		if !more {
			break
		}
		after, _ = store.TeamsList.Parse(store.TeamsList.Cursor(ts[len(ts)-1].Key()))
	}
	if len(names) != 25 || names[0] != "Team 00" || names[24] != "Team 24" {
		t.Errorf("teams across pages = %v", names)
	}
	ts, _, _ := st.PartnerTeamsPage(ctx, harbor, store.ListQuery{Search: "team 9", Limit: 10})
	if len(ts) != 0 {
		t.Errorf("search 'team 9' found %d of Harbor's teams, want none (Crane's does not count)", len(ts))
	}
	// A cursor of another list is refused.
	if _, ok := store.TeamsList.Parse(store.TeamMembersList.Cursor(store.Key{Sort: "x", ID: 1})); ok {
		t.Error("a team members cursor was taken for a teams cursor")
	}
}
