package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Alert is an alert with the names the pages show.
type Alert struct {
	ID             int64      `db:"id"`
	PartnerID      int64      `db:"partner_id"`
	PartnerName    string     `db:"partner_name"`
	TokenID        *int64     `db:"token_id"`
	TokenName      *string    `db:"token_name"`
	TokenHint      *string    `db:"token_hint"`
	TokenOwnerID   *int64     `db:"token_owner_id"`
	TokenRevoked   bool       `db:"token_revoked"`
	Rule           string     `db:"rule"`
	Cause          string     `db:"cause"`
	Message        string     `db:"message"`
	RaisedAt       time.Time  `db:"raised_at"`
	AcknowledgedAt *time.Time `db:"acknowledged_at"`
}

// Key is the alert's place in the alert lists, newest first.
func (a Alert) Key() Key { return TimeKey(a.RaisedAt, a.ID) }

// AlertsList pages the alerts.
var AlertsList = PageList{name: "al", timed: true}

// NewAlert is what RaiseAlert stores.
type NewAlert struct {
	PartnerID int64
	TokenID   *int64
	Rule      string
	Cause     string
	Message   string
}

// MaxAlertMessage is the longest message an alert keeps (the column's
// CHECK).
const MaxAlertMessage = 1000

// RaiseAlert stores an alert unless one of the same rule, partner,
// credential and cause exists, or the rule is muted for the credential;
// raised says whether this call stored it (and so whether to tell anyone).
func (s *Store) RaiseAlert(ctx context.Context, a NewAlert) (id int64, raised bool, err error) {
	// A message quoting a reporter's words may run long: it is cut rather
	// than refused, so raising never fails the action it belongs to.
	if r := []rune(a.Message); len(r) > MaxAlertMessage {
		a.Message = string(r[:MaxAlertMessage-1]) + "…"
	}
	err = s.q.GetContext(ctx, &id, `
		INSERT INTO alerts (partner_id, token_id, rule, cause, message)
		SELECT $1, $2, $3, $4, $5
		WHERE $2::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM alert_mutes m WHERE m.token_id = $2 AND m.rule = $3)
		ON CONFLICT DO NOTHING
		RETURNING id`, a.PartnerID, a.TokenID, a.Rule, a.Cause, a.Message)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("raise %s alert for partner %d: %w", a.Rule, a.PartnerID, err)
	}
	return id, true, nil
}

const alertSelect = `
	SELECT al.id, al.partner_id, p.name AS partner_name, al.token_id, t.name AS token_name, t.hint AS token_hint,
	       t.user_id AS token_owner_id, t.revoked_at IS NOT NULL AS token_revoked,
	       al.rule, al.cause, al.message, al.raised_at, al.acknowledged_at
	FROM alerts al JOIN partners p ON p.id = al.partner_id LEFT JOIN tokens t ON t.id = al.token_id`

// AlertsPage lists one page of alerts, newest first: of one partner
// (partnerID 0: every partner's, for staff; of an account manager's book
// when book, access.Actor.Book, is set), open ones only or all.
func (s *Store) AlertsPage(ctx context.Context, partnerID, book int64, openOnly bool, from *Key, limit int) ([]Alert, bool, error) {
	limit = pageLimit(limit)
	afterAt, afterID := after(from)
	var as []Alert
	err := s.q.SelectContext(ctx, &as, alertSelect+`
		WHERE ($1 = 0 OR al.partner_id = $1) AND (NOT $2 OR al.acknowledged_at IS NULL) AND `+bookFilter("al.partner_id", 6)+`
		  AND ($4::timestamptz IS NULL OR (al.raised_at, al.id) < ($4::timestamptz, $5::bigint))
		ORDER BY al.raised_at DESC, al.id DESC
		LIMIT $3`, partnerID, openOnly, limit+1, afterAt, afterID, book)
	if err != nil {
		return nil, false, fmt.Errorf("alerts of partner %d: %w", partnerID, err)
	}
	as, more := cut(as, limit)
	return as, more, nil
}

// AlertCountLimit bounds the navigation's count of open alerts ("99+").
const AlertCountLimit = 99

// CountOpenAlerts counts open alerts up to AlertCountLimit+1, of one
// partner (0: every partner's, of an account manager's book when book is
// set), read from the open alerts' index.
func (s *Store) CountOpenAlerts(ctx context.Context, partnerID, book int64) (int, error) {
	var n int
	err := s.q.GetContext(ctx, &n, `
		SELECT count(*) FROM (
			SELECT 1 FROM alerts WHERE acknowledged_at IS NULL AND ($1 = 0 OR partner_id = $1) AND `+bookFilter("partner_id", 3)+` LIMIT $2) x`,
		partnerID, AlertCountLimit+1, book)
	if err != nil {
		return 0, fmt.Errorf("count open alerts of partner %d: %w", partnerID, err)
	}
	return n, nil
}

// AlertByID returns one alert.
func (s *Store) AlertByID(ctx context.Context, id int64) (*Alert, error) {
	var a Alert
	if err := s.q.GetContext(ctx, &a, alertSelect+` WHERE al.id = $1`, id); err != nil {
		return nil, fmt.Errorf("alert %d: %w", id, notFound(err))
	}
	return &a, nil
}

// AcknowledgeAlert marks an open alert acknowledged; false when it was
// already.
func (s *Store) AcknowledgeAlert(ctx context.Context, id, by int64) (bool, error) {
	res, err := s.q.ExecContext(ctx, `
		UPDATE alerts SET acknowledged_at = now(), acknowledged_by = $2 WHERE id = $1 AND acknowledged_at IS NULL`, id, by)
	if err != nil {
		return false, fmt.Errorf("acknowledge alert %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// MuteAlertRule stops rule from being raised for the credential again.
func (s *Store) MuteAlertRule(ctx context.Context, tokenID int64, rule string, by int64) error {
	_, err := s.q.ExecContext(ctx, `
		INSERT INTO alert_mutes (token_id, rule, muted_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tokenID, rule, by)
	if err != nil {
		return fmt.Errorf("mute %s for token %d: %w", rule, tokenID, err)
	}
	return nil
}
