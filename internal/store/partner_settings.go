package store

import (
	"context"
	"fmt"
)

// PartnerSettings are the settings an account manager owns for a
// partner, with the portal's longest token lifetime that bounds the
// partner's own.
type PartnerSettings struct {
	// Name is the partner's, for the audit trail; Status its status (an
	// ended partnership's settings stay as they were).
	Name   string `db:"name"`
	Status string `db:"status"`
	// TokenLifetime is the portal's and the partner's longest token
	// lifetime.
	TokenLifetime
	// RateLimit is the partner's ceiling on requests per minute across
	// all its access groups' APIs; nil: none.
	RateLimit *int `db:"rate_limit"`
	// RequireLiveApproval: a developer's live credentials wait for a
	// partner admin's approval.
	RequireLiveApproval bool `db:"require_live_approval"`
	// DeveloperClients: developers may register OAuth clients of their own.
	DeveloperClients bool `db:"developer_clients"`
}

const partnerSettingsQuery = `
	SELECT p.name, p.status, ps.token_max_days AS portal, p.token_max_days AS partner, p.rate_limit_per_minute AS rate_limit,
	       p.require_live_approval, p.developer_clients
	FROM portal_settings ps, partners p WHERE ps.id = 1 AND p.id = $1`

// PartnerSettingsOf reads a partner's own settings in one query.
func (s *Store) PartnerSettingsOf(ctx context.Context, partnerID int64) (PartnerSettings, error) {
	return s.partnerSettings(ctx, partnerID, partnerSettingsQuery)
}

// LockPartnerSettings reads a partner's own settings and locks its row
// until the transaction ends, so a change is audited from what it
// replaced even when two people save at once.
func (s *Store) LockPartnerSettings(ctx context.Context, partnerID int64) (PartnerSettings, error) {
	return s.partnerSettings(ctx, partnerID, partnerSettingsQuery+` FOR UPDATE OF p`)
}

func (s *Store) partnerSettings(ctx context.Context, partnerID int64, query string) (PartnerSettings, error) {
	var ps PartnerSettings
	if err := s.q.GetContext(ctx, &ps, query, partnerID); err != nil {
		return ps, fmt.Errorf("settings of partner %d: %w", partnerID, notFound(err))
	}
	return ps, nil
}

// SetPartnerSettings writes a partner's own settings (the portal's
// lifetime in ps is not written). A changed ceiling reaches every node's
// credential cache through the database's notification (migration 00037).
func (s *Store) SetPartnerSettings(ctx context.Context, partnerID int64, ps PartnerSettings) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE partners SET token_max_days = $2, rate_limit_per_minute = $3, require_live_approval = $4, developer_clients = $5,
		       updated_at = now()
		WHERE id = $1`, partnerID, ps.Partner, ps.RateLimit, ps.RequireLiveApproval, ps.DeveloperClients)
	if err != nil {
		return fmt.Errorf("set settings of partner %d: %w", partnerID, err)
	}
	return nil
}
