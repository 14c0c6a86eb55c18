package alerts

import (
	"context"
	"errors"

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
}

// ErrNotMutable is a mute of an alert that is not about one credential
// (or of a leak, which has nothing left to say).
var ErrNotMutable = errors.New("alert cannot be muted")

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
	if al.TokenID == nil || al.TokenName == nil || al.Rule == RuleLeaked {
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
