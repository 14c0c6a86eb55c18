package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/portico/portico/internal/store"
)

// QueueAlertRaised queues alert.raised for an alert stored in tx (alerts are
// raised by the portal's jobs and by secret scanners' reports, not by
// anyone's audited action).
func QueueAlertRaised(ctx context.Context, tx *store.Store, alertID, partnerID int64) error {
	return Emit(ctx, tx, Event{Type: AlertRaised, PartnerID: partnerID,
		Data: func(ctx context.Context, tx *store.Store, c Common) (any, error) {
			al, err := tx.AlertByID(ctx, alertID)
			if err != nil {
				return nil, err
			}
			d := AlertData{Common: c, Alert: Alert{ID: al.ID, Rule: al.Rule, Message: al.Message,
				RaisedAt: al.RaisedAt.UTC().Format(time.RFC3339)}}
			if al.TokenID != nil {
				d.Alert.Credential = &AlertCredential{ID: *al.TokenID, Name: deref(al.TokenName), Hint: deref(al.TokenHint)}
			}
			return d, nil
		}})
}

// QueueCredentialExpiring queues token.expiring (or oauth_client.expiring) as
// its owner is mailed that it expires soon.
func QueueCredentialExpiring(ctx context.Context, tx *store.Store, t *store.Token) error {
	typ := TokenExpiring
	if t.IsClient() {
		typ = OAuthClientExpiring
	}
	return Emit(ctx, tx, Event{Type: typ, PartnerID: t.PartnerID,
		Data: func(_ context.Context, _ *store.Store, c Common) (any, error) {
			return CredentialData{Common: c, Credential: credentialOf(t)}, nil
		}})
}

// QueueCredentialsRevoked queues token.revoked (or oauth_client.revoked)
// for each credential revoked with its owner's access (a member removed,
// or de-provisioned by their identity provider), which the audit trail
// records as one event of the member.
func QueueCredentialsRevoked(ctx context.Context, tx *store.Store, ids []int64, reason string, actorID int64) error {
	for _, id := range ids {
		t, err := tx.TokenByID(ctx, id)
		if err != nil {
			return fmt.Errorf("webhook for revoked credential: %w", err)
		}
		typ := TokenRevoked
		if t.IsClient() {
			typ = OAuthClientRevoked
		}
		err = Emit(ctx, tx, Event{Type: typ, PartnerID: t.PartnerID, ActorID: actorID,
			Data: func(_ context.Context, _ *store.Store, c Common) (any, error) {
				return CredentialData{Common: c, Credential: credentialOf(t), Reason: reason}, nil
			}})
		if err != nil {
			return err
		}
	}
	return nil
}
