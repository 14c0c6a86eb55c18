package webhook

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico/portico/internal/store"
)

// Event is something that happened to a partner, for its subscribers.
type Event struct {
	Type      string
	PartnerID int64
	// ActorID is who acted; 0 for the portal itself.
	ActorID int64
	// Data builds the event's data from its common part; it runs only when
	// some endpoint subscribes, so an event nobody wants costs one query.
	Data func(ctx context.Context, tx *store.Store, c Common) (any, error)
}

// Emit queues e in tx, the transaction of the action that caused it, for
// every enabled endpoint subscribed to its type and allowed to see its
// partner: committed together, or not at all.
func Emit(ctx context.Context, tx *store.Store, e Event) error {
	subs, err := tx.WebhookSubscribersOf(ctx, e.PartnerID, e.Type, e.ActorID)
	if err != nil {
		return err
	}
	if len(subs.Endpoints) == 0 {
		return nil
	}
	c := Common{Partner: Partner{ID: e.PartnerID, Name: subs.PartnerName}}
	if e.ActorID != 0 {
		c.Actor = &Person{ID: e.ActorID, Email: subs.ActorEmail}
	}
	data, err := e.Data(ctx, tx, c)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", e.Type, err)
	}
	body, err := json.Marshal(Payload{Type: e.Type, Timestamp: time.Now().UTC().Truncate(time.Second), Data: data})
	if err != nil {
		return fmt.Errorf("webhook %s: %w", e.Type, err)
	}
	partnerID := e.PartnerID
	_, err = tx.InsertWebhookEvent(ctx, NewMessageID(), &partnerID, e.Type, string(body), subs.Endpoints, false)
	return err
}

// NewMessageID returns a fresh webhook-id: msg_ and 128 random bits in
// hex, the key receivers de-duplicate by.
func NewMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return "msg_" + hex.EncodeToString(b[:])
}

// TestBody is the body of a test event for the endpoint.
func TestBody(endpointID int64, url string, actor *Person, now time.Time) (string, error) {
	b, err := json.Marshal(Payload{Type: TestEvent, Timestamp: now.UTC().Truncate(time.Second), Data: TestData{
		Endpoint: EndpointRef{ID: endpointID, URL: url}, Actor: actor,
		Message: "A test event from Portico: this endpoint receives and verifies webhooks.",
	}})
	return string(b), err
}
