package alerts

import (
	"context"
	"errors"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// Labels name the rules for people.
var Labels = map[string]string{
	RuleQuota:         "Quota",
	RuleRateLimited:   "Refused by the rate limit",
	RuleSpikeCalls:    "Unusually many calls",
	RuleSpike4xx:      "Unusually many refused calls",
	RuleSpike5xx:      "Unusually many failed calls",
	RuleExpiringInUse: "Expires soon while in use",
	RuleLeaked:        "Leaked and revoked",
	RuleNewNetwork:    "Used from a new network",
	RuleRevokedInUse:  "Revoked but still in use",
	RuleExpiredInUse:  "Expired but still in use",
	RuleWrongEnv:      "Sent to the wrong environment",
}

// ErrNotMutable is a mute of an alert that is not about one credential
// (or of a leak, which has nothing left to say).
var ErrNotMutable = errors.New("alert cannot be muted")

// Scope is whose alerts a viewer sees: their partner's, or every
// partner's (0) for staff, which the lists bound to an account manager's
// own partners (access.Actor.Book). The pages and the API ask the policy
// about it.
func Scope(a access.Actor) int64 {
	if a.Staff() {
		return 0
	}
	return a.PartnerID
}

// Mutable reports whether an alert's rule can be muted for its
// credential: it is about one, and not a leak (nothing left to say).
func Mutable(al *store.Alert) bool {
	return al.TokenID != nil && al.TokenName != nil && al.Rule != RuleLeaked
}

// Acknowledge marks the alert handled by user `by`, audited in the same
// transaction; acknowledging it again changes nothing. The caller checked
// the policy (access.ManageAlerts on the alert's partner).
func Acknowledge(ctx context.Context, st *store.Store, al *store.Alert, by int64) error {
	return st.InTx(ctx, func(tx *store.Store) error {
		done, err := tx.AcknowledgeAlert(ctx, al.ID, by)
		if err != nil || !done {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "alert.acknowledge", PartnerID: al.PartnerID, TargetType: "alert",
			TargetID: al.ID, Target: Labels[al.Rule], Details: map[string]any{"rule": al.Rule, "cause": al.Cause}})
	})
}

// Mute stops the alert's rule from being raised for its credential again
// and acknowledges the alert, audited in one transaction.
func Mute(ctx context.Context, st *store.Store, al *store.Alert, by int64) error {
	if !Mutable(al) {
		return ErrNotMutable
	}
	return st.InTx(ctx, func(tx *store.Store) error {
		if err := tx.MuteAlertRule(ctx, *al.TokenID, al.Rule, by); err != nil {
			return err
		}
		if _, err := tx.AcknowledgeAlert(ctx, al.ID, by); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "alert.mute", PartnerID: al.PartnerID, TargetType: "token",
			TargetID: *al.TokenID, Target: *al.TokenName, Details: map[string]any{"rule": al.Rule}})
	})
}
