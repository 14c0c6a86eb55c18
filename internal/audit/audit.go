// Package audit records what people do in the portal: every change writes
// one event in the same transaction as the change, so the trail never
// shows an action that rolled back nor misses one that happened.
//
// Who acted, from which address and in which request travels in the
// context (WithSource, set once by the HTTP layer), so domain functions
// only say what happened. Details must never carry a secret: a credential
// appears only by its hint.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// Source is who performs the actions of a request, and from where.
type Source struct {
	// ActorID is the acting user, 0 when nobody is signed in; their
	// email is copied into each event.
	ActorID   int64
	IP        string
	RequestID string
}

type sourceKey struct{}

// WithSource returns ctx carrying s.
func WithSource(ctx context.Context, s Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// SourceFrom returns the source ctx carries, or the zero Source.
func SourceFrom(ctx context.Context) Source {
	s, _ := ctx.Value(sourceKey{}).(Source)
	return s
}

// Event is one action. The actor comes from the context's Source unless
// ActorID is set (sign-in and accepting an invitation act as the user
// they concern before any session exists).
type Event struct {
	Action     string
	PartnerID  int64
	TargetType string
	TargetID   int64
	Target     string
	Details    map[string]any
	ActorID    int64
}

// Record writes e through q, which should be the transaction of the
// change e describes, and queues the webhook event it means, if any.
func Record(ctx context.Context, q *store.Store, e Event) error {
	src := SourceFrom(ctx)
	row := store.AuditEvent{
		Action:     e.Action,
		TargetType: e.TargetType,
		Target:     e.Target,
		RequestID:  src.RequestID,
	}
	actorID := src.ActorID
	if e.ActorID != 0 {
		actorID = e.ActorID
	}
	if actorID != 0 {
		row.ActorID = &actorID
	}
	if e.PartnerID != 0 {
		row.PartnerID = &e.PartnerID
	}
	if e.TargetID != 0 {
		row.TargetID = &e.TargetID
	}
	if ip := net.ParseIP(src.IP); ip != nil {
		s := ip.String()
		row.IP = &s
	}
	if len(e.Details) > 0 {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return fmt.Errorf("audit %s: details: %w", e.Action, err)
		}
		row.Details = b
	}
	if err := q.InsertAuditEvent(ctx, row); err != nil {
		return err
	}
	// Subscribers hear of the action in its own transaction: a webhook
	// goes out exactly when the action commits.
	return webhook.FromAudit(ctx, q, webhook.Action{Name: e.Action, PartnerID: e.PartnerID, TargetID: e.TargetID,
		Target: e.Target, Details: e.Details, ActorID: actorID})
}

// WithActor returns ctx with the source's actor set to userID, for the
// layers (the management API) that learn who acts after the request began.
func WithActor(ctx context.Context, userID int64) context.Context {
	s := SourceFrom(ctx)
	s.ActorID = userID
	return WithSource(ctx, s)
}
