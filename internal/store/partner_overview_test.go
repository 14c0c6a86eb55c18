package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/store"
)

// TestPartnerOpenGrants: the partner page's grants are PartnerGrantsPage's
// rows without a search, page for page and cursor for cursor: open grants
// only, of this partner only, with the group's, team's, person's and
// granter's names.
func TestPartnerOpenGrants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := seeded(t)
	harbor, crane := partnerOf(t, st, "admin@harbor.test"), partnerOf(t, st, "admin@crane.test")
	team := teamOf(t, st, harbor, "Ops crew")
	var groups []int64
	for i := range 3 {
		groups = append(groups, newGroup(t, st, fmt.Sprintf("Group %d", i)))
	}
	for _, g := range groups {
		execAll(t, st,
			fmt.Sprintf(`INSERT INTO grants (access_group_id, partner_id, team_id, granted_by)
				SELECT %d, %d, %d, id FROM users WHERE email = 'am@portico.test'`, g, harbor, team),
			fmt.Sprintf(`INSERT INTO grants (access_group_id, partner_id, user_id, revoked_at)
				SELECT %d, partner_id, id, CASE WHEN email = 'admin@harbor.test' THEN now() END FROM users WHERE partner_id IN (%d, %d)`, g, harbor, crane))
	}
	var all []store.GrantRow
	q := store.ListQuery{Limit: 2}
	for range 10 {
		got, more, err := st.PartnerOpenGrants(ctx, harbor, q)
		if err != nil {
			t.Fatal(err)
		}
		want, wantMore, err := st.PartnerGrantsPage(ctx, harbor, q)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" || more != wantMore {
			t.Fatalf("page after %v (-PartnerGrantsPage +PartnerOpenGrants), more %v want %v:\n%s", q.After, more, wantMore, diff)
		}
		all = append(all, got...)
		if !more {
			break
		}
		k := got[len(got)-1].Key()
		q.After = &k
	}
	// Per group: the team and Dev Harbor; not the revoked admin's grant,
	// nor any of Crane's.
	if len(all) != 6 {
		t.Fatalf("%d open grants of Harbor, want 6", len(all))
	}
	for _, r := range all {
		if r.PartnerID != harbor || r.RevokedAt != nil || r.GroupName == "" || (r.TeamName == nil) == (r.UserName == nil) {
			t.Errorf("grant row %+v", r)
		}
		if r.TeamID != nil && (r.GrantedByName == nil || *r.GrantedByName != "Morgan Account") {
			t.Errorf("team grant %d granted by %v, want Morgan Account", r.ID, r.GrantedByName)
		}
	}
}
