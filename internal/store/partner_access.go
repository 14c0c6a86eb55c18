package store

import (
	"context"
	"fmt"
)

// GranteeSample is an open grant to a partner's team or person, one of the
// first few of its group, with how many open grants the group holds at the
// partner in all.
type GranteeSample struct {
	GrantRow
	// GroupGrants is how many open grants the group holds at the partner.
	GroupGrants int `db:"group_grants"`
}

// PartnerGranteeSamples lists, for every access group granted to the
// partner, its first perGroup open grants (teams first, then people, by
// name) with the group's number of open grants: the access page shows a
// group's grantees without listing a whole partner. It reads the
// partner's open grants once (grants_partner), not per group.
func (s *Store) PartnerGranteeSamples(ctx context.Context, partnerID int64, perGroup int) ([]GranteeSample, error) {
	var rs []GranteeSample
	err := s.q.SelectContext(ctx, &rs, `
		WITH ranked AS (
			SELECT gr.id,
			       row_number() OVER (PARTITION BY gr.access_group_id
			                          ORDER BY gr.team_id IS NULL, lower(coalesce(t.name, u.name)), gr.id) AS n,
			       count(*) OVER (PARTITION BY gr.access_group_id) AS group_grants
			FROM grants gr
			LEFT JOIN teams t ON t.id = gr.team_id
			LEFT JOIN users u ON u.id = gr.user_id
			WHERE gr.partner_id = $1 AND gr.revoked_at IS NULL
		)
		SELECT x.*, r.group_grants FROM (`+grantRowSelect+`) x
		JOIN ranked r ON r.id = x.id AND r.n <= $2
		ORDER BY lower(x.group_name), x.access_group_id, r.n`, partnerID, perGroup)
	if err != nil {
		return nil, fmt.Errorf("grantees of the groups granted to partner %d: %w", partnerID, err)
	}
	return rs, nil
}

// PartnerGrantedAPIs counts the APIs (not retired) that a partner's open
// grants reach, whoever of the partner holds them: what a partner admin
// outside every granted team is told exists, though not for them.
func (s *Store) PartnerGrantedAPIs(ctx context.Context, partnerID int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(DISTINCT aga.api_id)
		FROM grants g JOIN access_group_apis aga ON aga.access_group_id = g.access_group_id
		JOIN apis a ON a.id = aga.api_id
		WHERE g.partner_id = $1 AND g.revoked_at IS NULL AND a.status <> 'retired'`, partnerID)
	if err != nil {
		return 0, fmt.Errorf("granted APIs of partner %d: %w", partnerID, err)
	}
	return n, nil
}
