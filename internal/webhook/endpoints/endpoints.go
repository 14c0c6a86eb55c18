// Package endpoints registers webhook endpoints and runs what people do
// with them: choose event types, rotate the signing secret, disable,
// enable, delete, send a test event, send a delivery again. Each action is
// one audited transaction; the signing secret is shown once, when it is
// made, and sealed at rest.
package endpoints

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/seal"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// Bounds of what people type.
const (
	MaxDescription = 200
	// MaxGrace is the longest the previous secret keeps signing after a
	// rotation; DefaultGrace is what the form offers.
	MaxGrace     = 7 * 24 * time.Hour
	DefaultGrace = 24 * time.Hour
)

// Service manages webhook endpoints.
type Service struct {
	store        *store.Store
	box          *seal.Box
	sender       *webhook.Sender
	allowPrivate bool
	now          func() time.Time
}

// New returns a Service; allowPrivate lets endpoints inside the portal's
// network be registered (on-premise receivers, tests), as the sender's
// client must then allow them too.
func New(st *store.Store, box *seal.Box, sender *webhook.Sender, allowPrivate bool) *Service {
	return &Service{store: st, box: box, sender: sender, allowPrivate: allowPrivate, now: time.Now}
}

// Input is what the endpoint form and the API send.
type Input struct {
	URL         string
	Description string
	EventTypes  []string
	// ScopePartnerID narrows a staff member's endpoint to one partner they
	// manage; 0: every partner they manage. Partner admins' endpoints are
	// their partner's.
	ScopePartnerID int64
}

// Created is an endpoint just registered or whose secret was just
// rotated, with the secret shown this once.
type Created struct {
	Endpoint *store.WebhookEndpoint
	Secret   string
}

// check validates in for actor and returns it cleaned.
func (s *Service) check(ctx context.Context, q *store.Store, actor access.Actor, in Input) (Input, error) {
	u, err := webhook.CheckURL(ctx, in.URL, s.allowPrivate)
	if err != nil {
		return in, &apierr.FieldError{Field: "url", Message: err.Error()}
	}
	in.URL = u
	in.Description = strings.TrimSpace(in.Description)
	if len([]rune(in.Description)) > MaxDescription || strings.ContainsAny(in.Description, "\r\n\x00") {
		return in, &apierr.FieldError{Field: "description", Message: fmt.Sprintf("Keep the description to one line of at most %d characters.", MaxDescription)}
	}
	var types []string
	for _, t := range in.EventTypes {
		if !webhook.Known(t) {
			return in, &apierr.FieldError{Field: "event_types", Message: "Choose event types from the list."}
		}
		if !slices.Contains(types, t) {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		return in, &apierr.FieldError{Field: "event_types", Message: "Choose at least one event type to send."}
	}
	in.EventTypes = types
	if in.ScopePartnerID != 0 {
		refused := &apierr.FieldError{Field: "partner", Message: "Choose a partner you manage, or all of them."}
		if !actor.Staff() || access.Can(actor, access.ManageWebhooks, in.ScopePartnerID) != access.Allow {
			return in, refused
		}
		// The policy lets a platform admin name any id: it must still be
		// a partner, and one whose partnership has not ended.
		p, err := q.PartnerByID(ctx, in.ScopePartnerID)
		if errors.Is(err, store.ErrNotFound) || err == nil && p.Status == store.PartnerEnded {
			return in, refused
		}
		if err != nil {
			return in, err
		}
	}
	return in, nil
}

// scope returns who owns an endpoint actor registers: their partner, or
// (staff) no partner.
func scope(actor access.Actor) (partnerID *int64, err error) {
	if access.Can(actor, access.ManageWebhooks, actor.PartnerID) != access.Allow {
		return nil, store.ErrNotFound
	}
	if actor.Staff() {
		return nil, nil
	}
	p := actor.PartnerID
	return &p, nil
}

// Create registers an endpoint for actor and returns it with its new
// signing secret.
func (s *Service) Create(ctx context.Context, actor access.Actor, in Input) (*Created, error) {
	partnerID, err := scope(actor)
	if err != nil {
		return nil, err
	}
	if in, err = s.check(ctx, s.store, actor, in); err != nil {
		return nil, err
	}
	secret := webhook.NewSecret()
	var out *Created
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		// The count below is a limit: its owner's row is locked first, so
		// two registrations at once cannot both pass it.
		var pid int64
		if partnerID != nil {
			pid = *partnerID
			if _, err := tx.LockPartner(ctx, pid); err != nil {
				return err
			}
		} else if err := tx.LockUserRow(ctx, actor.UserID); err != nil {
			return err
		}
		n, err := tx.CountWebhookEndpoints(ctx, pid, actor.UserID)
		if err != nil {
			return err
		}
		if n >= store.MaxWebhookEndpoints {
			return &apierr.FieldError{Field: "url", Message: fmt.Sprintf("There are %d endpoints already, the most allowed. Delete one you no longer use first.", n)}
		}
		ne := store.NewWebhookEndpoint{PartnerID: partnerID, OwnerID: actor.UserID, URL: in.URL, Description: in.Description,
			EventTypes: in.EventTypes, SecretEnc: s.box.Seal(secret, webhook.PurposeSecret), SecretHint: webhook.SecretHint(secret)}
		if in.ScopePartnerID != 0 {
			sp := in.ScopePartnerID
			ne.ScopePartnerID = &sp
		}
		id, err := tx.InsertWebhookEndpoint(ctx, ne)
		if err != nil {
			return err
		}
		e, err := tx.WebhookEndpointByID(ctx, id, false)
		if err != nil {
			return err
		}
		out = &Created{Endpoint: e, Secret: secret}
		return audit.Record(ctx, tx, event("webhook.endpoint_created", e, map[string]any{"event_types": in.EventTypes, "secret_hint": e.SecretHint}))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// event is the audit event of a change to endpoint e: its URL and what
// changed, never its secret (by its hint only). A staff endpoint's events
// are the provider's own, even when it is for one partner: the partner's
// trail does not show the provider's systems.
func event(action string, e *store.WebhookEndpoint, details map[string]any) audit.Event {
	ev := audit.Event{Action: action, TargetType: "webhook_endpoint", TargetID: e.ID, Target: e.URL, Details: details}
	if e.PartnerID != nil {
		ev.PartnerID = *e.PartnerID
	}
	return ev
}

// LogBook is the book (store.WebhookLogPage) bounding what actor reads of
// e's delivery log and may send again: a partner's endpoint shows its
// partner's events to its admins (0); a staff endpoint shows an account
// manager the events of the partners they manage now only (a handover
// takes the partner's events along), a platform admin everything.
func LogBook(actor access.Actor, e *store.WebhookEndpoint) int64 {
	if e.PartnerID != nil {
		return 0
	}
	return actor.Book()
}

// Get returns an endpoint actor may manage; ErrNotFound otherwise.
func (s *Service) Get(ctx context.Context, actor access.Actor, id int64) (*store.WebhookEndpoint, error) {
	return get(ctx, s.store, actor, id, false)
}

func get(ctx context.Context, q *store.Store, actor access.Actor, id int64, lock bool) (*store.WebhookEndpoint, error) {
	e, err := q.WebhookEndpointByID(ctx, id, lock)
	if err != nil {
		return nil, err
	}
	var pid int64
	if e.PartnerID != nil {
		pid = *e.PartnerID
	}
	if access.CanManageEndpoint(actor, pid, e.OwnerID) != access.Allow {
		return nil, fmt.Errorf("webhook endpoint %d: %w", id, store.ErrNotFound)
	}
	return e, nil
}

// List returns the endpoints actor manages: their partner's, or (staff)
// their own (a platform admin: every staff endpoint).
func (s *Service) List(ctx context.Context, actor access.Actor) ([]store.WebhookEndpoint, error) {
	partnerID, err := scope(actor)
	if err != nil {
		return nil, err
	}
	if partnerID != nil {
		return s.store.WebhookEndpoints(ctx, *partnerID, 0)
	}
	owner := actor.UserID
	if actor.Role == access.RoleAdmin {
		owner = 0
	}
	return s.store.WebhookEndpoints(ctx, 0, owner)
}

// Update changes an endpoint's URL, description, event types and (staff)
// partner.
func (s *Service) Update(ctx context.Context, actor access.Actor, id int64, in Input) (*store.WebhookEndpoint, error) {
	return s.Change(ctx, actor, id, &in, nil)
}

// Change applies, in one audited transaction, new settings (in; nil:
// none) and whether the endpoint is enabled (nil: as it is). The settings
// are checked first, outside the transaction: resolving the URL's host
// may take seconds, and no row stays locked meanwhile.
func (s *Service) Change(ctx context.Context, actor access.Actor, id int64, in *Input, enabled *bool) (*store.WebhookEndpoint, error) {
	if in != nil {
		e, err := get(ctx, s.store, actor, id, false)
		if err != nil {
			return nil, err
		}
		if e.PartnerID != nil {
			in.ScopePartnerID = 0
		}
		checked, err := s.check(ctx, s.store, actor, *in)
		if err != nil {
			return nil, err
		}
		in = &checked
	}
	var out *store.WebhookEndpoint
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		e, err := get(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if in != nil {
			if err := s.update(ctx, tx, e, *in); err != nil {
				return err
			}
			e.URL = in.URL
		}
		if enabled != nil && *enabled != e.Enabled {
			if err := s.setEnabled(ctx, tx, actor, e, *enabled); err != nil {
				return err
			}
		}
		out, err = tx.WebhookEndpointByID(ctx, e.ID, false)
		return err
	})
	return out, err
}

// update stores checked settings of e and audits them.
func (s *Service) update(ctx context.Context, tx *store.Store, e *store.WebhookEndpoint, in Input) error {
	var sp *int64
	if in.ScopePartnerID != 0 {
		sp = &in.ScopePartnerID
	}
	if err := tx.UpdateWebhookEndpoint(ctx, e.ID, in.URL, in.Description, in.EventTypes, sp); err != nil {
		return err
	}
	details := map[string]any{"event_types": in.EventTypes}
	if in.URL != e.URL {
		details["from"] = e.URL
	}
	changed := *e
	changed.URL = in.URL
	return audit.Record(ctx, tx, event("webhook.endpoint_updated", &changed, details))
}

// Rotate gives an endpoint a new signing secret, returned this once; the
// previous one keeps signing beside it for grace (at most MaxGrace), so
// receivers can move to the new one without missing a delivery.
func (s *Service) Rotate(ctx context.Context, actor access.Actor, id int64, grace time.Duration) (*Created, error) {
	if grace < 0 || grace > MaxGrace {
		return nil, &apierr.FieldError{Field: "grace", Message: "The previous secret may keep signing for at most 7 days."}
	}
	secret := webhook.NewSecret()
	var out *Created
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		e, err := get(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if err := tx.RotateWebhookSecret(ctx, e.ID, s.box.Seal(secret, webhook.PurposeSecret), webhook.SecretHint(secret), s.now().Add(grace)); err != nil {
			return err
		}
		if e, err = tx.WebhookEndpointByID(ctx, e.ID, false); err != nil {
			return err
		}
		out = &Created{Endpoint: e, Secret: secret}
		return audit.Record(ctx, tx, event("webhook.secret_rotated", e, map[string]any{"secret_hint": e.SecretHint, "grace_seconds": int(grace / time.Second)}))
	})
	return out, err
}

// SetEnabled disables an endpoint (its queued deliveries are dropped) or
// enables it again (afresh: new events only).
func (s *Service) SetEnabled(ctx context.Context, actor access.Actor, id int64, enabled bool) (*store.WebhookEndpoint, error) {
	return s.Change(ctx, actor, id, nil, &enabled)
}

// setEnabled enables or disables e, audited.
func (s *Service) setEnabled(ctx context.Context, tx *store.Store, actor access.Actor, e *store.WebhookEndpoint, enabled bool) error {
	action, reason := "webhook.endpoint_enabled", ""
	if !enabled {
		action, reason = "webhook.endpoint_disabled", "Disabled by "+actorLabel(ctx, tx, actor)+"."
	}
	if err := tx.SetWebhookEndpointEnabled(ctx, e.ID, enabled, reason, s.now()); err != nil {
		return err
	}
	return audit.Record(ctx, tx, event(action, e, nil))
}

// actorLabel names who acted, for the endpoint's disabled reason.
func actorLabel(ctx context.Context, tx *store.Store, actor access.Actor) string {
	u, err := tx.UserByID(ctx, actor.UserID)
	if err != nil {
		return "someone"
	}
	return u.Email
}

// Delete deletes an endpoint with its queue and log.
func (s *Service) Delete(ctx context.Context, actor access.Actor, id int64) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		e, err := get(ctx, tx, actor, id, true)
		if err != nil {
			return err
		}
		if err := tx.DeleteWebhookEndpoint(ctx, e.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, event("webhook.endpoint_deleted", e, nil))
	})
}

// ErrDisabled is a test event or a resend asked of a disabled endpoint.
var ErrDisabled = errors.New("the endpoint is disabled")

// ErrTooManySends is a test event or a resend past MaxManualSends a
// minute to one endpoint: each is an outgoing request, on a button.
var ErrTooManySends = errors.New("too many sends by hand to the endpoint")

// MaxManualSends bounds the test events and resends to one endpoint in
// a minute.
const MaxManualSends = 10

// checkManualRate refuses a send by hand past MaxManualSends a minute.
func (s *Service) checkManualRate(ctx context.Context, tx *store.Store, endpointID int64) error {
	n, err := tx.ManualSendsSince(ctx, endpointID, time.Now().Add(-time.Minute))
	if err != nil {
		return err
	}
	if n >= MaxManualSends {
		return ErrTooManySends
	}
	return nil
}

// SendTest sends a webhook.test event to the endpoint at once and returns
// what came of it; it is logged like any delivery.
func (s *Service) SendTest(ctx context.Context, actor access.Actor, id int64) (*store.WebhookOutcome, error) {
	return s.sendByHand(ctx, actor, id, func(tx *store.Store, e *store.WebhookEndpoint) (int64, error) {
		u, err := tx.UserByID(ctx, actor.UserID)
		if err != nil {
			return 0, err
		}
		body, err := webhook.TestBody(e.ID, e.URL, &webhook.Person{ID: u.ID, Email: u.Email}, s.now())
		if err != nil {
			return 0, err
		}
		eventID, err := tx.InsertWebhookEvent(ctx, webhook.NewMessageID(), e.PartnerID, webhook.TestEvent, body, []int64{e.ID}, true)
		if err != nil {
			return 0, err
		}
		return tx.DeliveryOf(ctx, eventID, e.ID)
	})
}

// Resend sends one delivered or failed event to its endpoint again, at
// once, with the same webhook-id (a receiver that handled it already
// recognises it).
func (s *Service) Resend(ctx context.Context, actor access.Actor, id, deliveryID int64) (*store.WebhookOutcome, error) {
	return s.sendByHand(ctx, actor, id, func(tx *store.Store, e *store.WebhookEndpoint) (int64, error) {
		return tx.QueueWebhookAgain(ctx, e.ID, deliveryID, LogBook(actor, e))
	})
}

// sendByHand queues, with queue, a delivery to an enabled endpoint actor
// manages, within the limit of sends by hand, and sends it at once.
func (s *Service) sendByHand(ctx context.Context, actor access.Actor, id int64,
	queue func(tx *store.Store, e *store.WebhookEndpoint) (int64, error)) (*store.WebhookOutcome, error) {
	var deliveryID int64
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		e, err := get(ctx, tx, actor, id, false)
		if err != nil {
			return err
		}
		if !e.Enabled {
			return ErrDisabled
		}
		if err := s.checkManualRate(ctx, tx, e.ID); err != nil {
			return err
		}
		deliveryID, err = queue(tx, e)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.sender.SendNow(ctx, deliveryID)
}
