package store

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
)

// TokenAuth is what verifying a token needs to know, read in one query.
type TokenAuth struct {
	ID            int64          `db:"id"`
	UserID        int64          `db:"user_id"`
	PartnerID     int64          `db:"partner_id"`
	Role          string         `db:"role"`
	Environment   string         `db:"environment"`
	Scopes        pq.StringArray `db:"scopes"`
	ExpiresAt     time.Time      `db:"expires_at"`
	Pending       bool           `db:"pending"`
	Revoked       bool           `db:"revoked"`
	UserActive    bool           `db:"user_active"`
	PartnerActive bool           `db:"partner_active"`
	// Previous is true when the hash matched the secret a regeneration
	// replaced; it works until PreviousUntil.
	Previous      bool       `db:"previous"`
	PreviousUntil *time.Time `db:"previous_until"`
	// RateLimitPerMinute is the token's own limit; nil for none.
	RateLimitPerMinute *int `db:"rate_limit_per_minute"`
	// PartnerRateLimit is the partner's ceiling across all its groups'
	// APIs; nil for none.
	PartnerRateLimit *int `db:"partner_rate_limit"`
	// AllowedNetworks are the CIDRs the credential may be used from;
	// empty: anywhere.
	AllowedNetworks pq.StringArray `db:"allowed_networks"`
	// ClientID is the OAuth client's public id, for an access token (and
	// a client row); empty for a PAT.
	ClientID string `db:"client_id"`
	// IssuedAt is when an access token was issued; nil for a PAT.
	IssuedAt *time.Time `db:"issued_at"`
}

// TokenAuthByHash finds the token whose current or (within its grace
// period) previous secret has this hash.
func (s *Store) TokenAuthByHash(ctx context.Context, hash []byte) (*TokenAuth, error) {
	var a TokenAuth
	err := s.q.GetContext(ctx, &a, `
		SELECT t.id, t.user_id, t.partner_id, u.role, t.environment, t.scopes, t.expires_at, t.pending,
		       t.revoked_at IS NOT NULL AS revoked, u.status = 'active' AS user_active, p.status = 'active' AS partner_active,
		       t.hash <> $1 AS previous, t.previous_until, t.rate_limit_per_minute, p.rate_limit_per_minute AS partner_rate_limit,
		       t.allowed_networks::text[] AS allowed_networks
		FROM tokens t JOIN users u ON u.id = t.user_id JOIN partners p ON p.id = t.partner_id
		WHERE (t.hash = $1 OR (t.previous_hash = $1 AND t.previous_until > now())) AND t.client_id IS NULL`, hash)
	if err != nil {
		return nil, fmt.Errorf("token by hash: %w", notFound(err))
	}
	return &a, nil
}

// TokenUse is when and from where a token was last used.
type TokenUse struct {
	ID int64
	At time.Time
	IP string
}

// RecordTokenUses writes a batch of last-used times in one statement; an
// older time never overwrites a newer one.
func (s *Store) RecordTokenUses(ctx context.Context, uses []TokenUse) error {
	if len(uses) == 0 {
		return nil
	}
	ids := make([]int64, len(uses))
	ats := make([]time.Time, len(uses))
	ips := make([]string, len(uses))
	for i, u := range uses {
		ids[i], ats[i], ips[i] = u.ID, u.At, u.IP
	}
	_, err := s.q.ExecContext(ctx, `
		UPDATE tokens t SET last_used_at = u.at, last_used_ip = NULLIF(u.ip, '')::inet
		FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS u(id, at, ip)
		WHERE t.id = u.id AND (t.last_used_at IS NULL OR t.last_used_at < u.at)`,
		pq.Array(ids), pq.Array(ats), pq.Array(ips))
	if err != nil {
		return fmt.Errorf("record %d token uses: %w", len(uses), err)
	}
	return nil
}

// ExpiringToken is a token due an expiry notice.
type ExpiringToken struct {
	Token
	// Days is the notice it is due: 7 or 1.
	Days int `db:"days"`
}

// ClaimExpiryNotices marks and returns the open tokens that expire within
// a day (not yet told) or within seven days (not yet told), so each notice
// goes out once; run it in the transaction that queues the mails.
func (s *Store) ClaimExpiryNotices(ctx context.Context, now time.Time) ([]ExpiringToken, error) {
	var ts []ExpiringToken
	err := s.q.SelectContext(ctx, &ts, `
		WITH due AS (
			UPDATE tokens t SET
				notified_1d = notified_1d OR t.expires_at <= $1::timestamptz + interval '1 day',
				notified_7d = true
			WHERE t.revoked_at IS NULL AND t.expires_at > $1::timestamptz
			  AND ((NOT t.notified_7d AND t.expires_at <= $1::timestamptz + interval '7 days')
			    OR (NOT t.notified_1d AND t.expires_at <= $1::timestamptz + interval '1 day'))
			RETURNING t.id, CASE WHEN t.expires_at <= $1::timestamptz + interval '1 day' THEN 1 ELSE 7 END AS days
		)
		SELECT `+tokenColumns+`, due.days
		FROM due JOIN tokens t ON t.id = due.id JOIN users u ON u.id = t.user_id
		WHERE u.status = 'active'
		ORDER BY t.id`, now)
	if err != nil {
		return nil, fmt.Errorf("claim token expiry notices: %w", err)
	}
	return ts, nil
}

// PortalSettings are the platform admin's portal-wide settings.
type PortalSettings struct {
	TokenMaxDays int `db:"token_max_days"`
	// AccessTokenMinutes is how long OAuth access tokens live.
	AccessTokenMinutes int `db:"access_token_minutes"`
	AlertThresholds
	UpdatedAt time.Time `db:"updated_at"`
	UpdatedBy *int64    `db:"updated_by"`
}

// AlertThresholds are the alert rules' settings.
type AlertThresholds struct {
	// RateLimitedPerHour: a partner refused by its rate limits this many
	// times in an hour.
	RateLimitedPerHour int `db:"alert_rate_limited_per_hour"`
	// SpikeFactor and SpikeMin: a credential's hour at SpikeFactor times
	// its hourly average of the week before, and at least SpikeMin.
	SpikeFactor int `db:"alert_spike_factor"`
	SpikeMin    int `db:"alert_spike_min"`
}

// SetAlertThresholds changes the alert rules' thresholds.
func (s *Store) SetAlertThresholds(ctx context.Context, a AlertThresholds, by int64) error {
	_, err := s.q.ExecContext(ctx, `
		UPDATE portal_settings SET alert_rate_limited_per_hour = $1, alert_spike_factor = $2, alert_spike_min = $3,
		       updated_at = now(), updated_by = $4
		WHERE id = 1`, a.RateLimitedPerHour, a.SpikeFactor, a.SpikeMin, by)
	if err != nil {
		return fmt.Errorf("set alert thresholds: %w", err)
	}
	return nil
}

// Settings returns the portal settings.
func (s *Store) Settings(ctx context.Context) (*PortalSettings, error) {
	var p PortalSettings
	if err := s.q.GetContext(ctx, &p, `
		SELECT token_max_days, access_token_minutes, alert_rate_limited_per_hour, alert_spike_factor, alert_spike_min, updated_at, updated_by
		FROM portal_settings WHERE id = 1`); err != nil {
		return nil, fmt.Errorf("portal settings: %w", err)
	}
	return &p, nil
}

// SetTokenMaxDays changes the longest lifetime a new token may have.
func (s *Store) SetTokenMaxDays(ctx context.Context, days int, by int64) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE portal_settings SET token_max_days = $1, updated_at = now(), updated_by = $2 WHERE id = 1`, days, by); err != nil {
		return fmt.Errorf("set token max days: %w", err)
	}
	return nil
}

// SetAccessTokenMinutes changes how long new OAuth access tokens live.
func (s *Store) SetAccessTokenMinutes(ctx context.Context, minutes int, by int64) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE portal_settings SET access_token_minutes = $1, updated_at = now(), updated_by = $2 WHERE id = 1`, minutes, by); err != nil {
		return fmt.Errorf("set access token minutes: %w", err)
	}
	return nil
}

// RequiresLiveApproval reports whether a partner's live tokens wait for a
// partner admin's approval.
func (s *Store) RequiresLiveApproval(ctx context.Context, partnerID int64) (bool, error) {
	var b bool
	if err := s.q.GetContext(ctx, &b, `SELECT require_live_approval FROM partners WHERE id = $1`, partnerID); err != nil {
		return false, fmt.Errorf("live approval of partner %d: %w", partnerID, notFound(err))
	}
	return b, nil
}

// SetRequireLiveApproval changes a partner's approval setting.
func (s *Store) SetRequireLiveApproval(ctx context.Context, partnerID int64, on bool) error {
	if _, err := s.q.ExecContext(ctx, `UPDATE partners SET require_live_approval = $2 WHERE id = $1`, partnerID, on); err != nil {
		return fmt.Errorf("set live approval of partner %d: %w", partnerID, err)
	}
	return nil
}
