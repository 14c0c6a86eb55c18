package store_test

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// BenchmarkTeamAndGrantQueries times the queries of the team pages and
// the pickers on the data set of issue 12 (one partner of 10 000 members in
// 50 teams, 199 small partners), with one team of 2 000 members added.
func BenchmarkTeamAndGrantQueries(b *testing.B) {
	db := pgtest.DB(b)
	partnerID := fillAccessAtScale(b, db)
	st := store.New(db)
	ctx := context.Background()
	var teamID, groupID int64
	if err := db.Get(&teamID, `INSERT INTO teams (partner_id, name) VALUES ($1, 'Big team') RETURNING id`, partnerID); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO team_memberships (team_id, user_id)
		SELECT $1, id FROM users WHERE partner_id = $2 ORDER BY id LIMIT 2000`, teamID, partnerID); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&groupID, `SELECT access_group_id FROM grants GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Exec(`ANALYZE`); err != nil {
		b.Fatal(err)
	}
	deep := &store.Key{Sort: "member 5000", ID: 1 << 62}
	for _, tc := range []struct {
		name string
		run  func() (int, error)
	}{
		{"teams-page", func() (int, error) {
			ts, _, err := st.PartnerTeamsPage(ctx, partnerID, store.ListQuery{Limit: 50})
			return len(ts), err
		}},
		{"team-members-first", func() (int, error) {
			ms, _, err := st.TeamMembersPage(ctx, teamID, store.ListQuery{Limit: 50})
			return len(ms), err
		}},
		{"team-members-deep", func() (int, error) {
			ms, _, err := st.TeamMembersPage(ctx, teamID, store.ListQuery{Limit: 50, After: deep})
			return len(ms), err
		}},
		{"team-member-count", func() (int, error) { return st.TeamMemberCount(ctx, teamID) }},
		{"team-candidates", func() (int, error) {
			cs, _, err := st.TeamCandidates(ctx, partnerID, teamID, "", store.MaxPicker)
			return len(cs), err
		}},
		{"team-candidates-search", func() (int, error) {
			cs, _, err := st.TeamCandidates(ctx, partnerID, teamID, "ber 99", store.MaxPicker)
			return len(cs), err
		}},
		{"grantees-search", func() (int, error) {
			gs, _, err := st.SearchGrantees(ctx, groupID, store.GranteeQuery{Search: "member 1", Limit: store.MaxPicker})
			return len(gs), err
		}},
		{"grantees-rare", func() (int, error) {
			gs, _, err := st.SearchGrantees(ctx, groupID, store.GranteeQuery{Search: "m9999@", Limit: store.MaxPicker})
			return len(gs), err
		}},
		{"grantees-partner", func() (int, error) {
			gs, _, err := st.SearchGrantees(ctx, groupID, store.GranteeQuery{Partner: "partner 17", Limit: store.MaxPicker})
			return len(gs), err
		}},
		{"group-grants-open", func() (int, error) {
			rs, _, err := st.GroupGrantsPage(ctx, groupID, store.GrantPageQuery{Limit: 50})
			return len(rs), err
		}},
		{"group-grants-revoked", func() (int, error) {
			rs, _, err := st.GroupGrantsPage(ctx, groupID, store.GrantPageQuery{Revoked: true, Limit: 20})
			return len(rs), err
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if n, err := tc.run(); err != nil || n == 0 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
