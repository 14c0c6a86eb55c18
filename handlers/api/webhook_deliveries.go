package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook/endpoints"
)

// webhookRotate is the body of rotate-secret (schema WebhookRotate).
type webhookRotate struct {
	GraceSeconds *int64 `json:"grace_seconds"`
}

// rotateWebhookSecret gives an endpoint a new signing secret, answered
// this once; the previous one keeps signing for grace_seconds.
func (a *API) rotateWebhookSecret(c echo.Context) error {
	actor, e, err := a.managedEndpoint(c)
	if err != nil {
		return err
	}
	var in webhookRotate
	if err := decode(c, &in); err != nil {
		return err
	}
	grace := endpoints.DefaultGrace
	if in.GraceSeconds != nil {
		// Bounded before the multiplication, which could overflow.
		if *in.GraceSeconds < 0 || *in.GraceSeconds > int64(endpoints.MaxGrace/time.Second) {
			return invalidInput("grace_seconds", "The previous secret may keep signing for 0 to 604800 seconds (7 days).")
		}
		grace = time.Duration(*in.GraceSeconds) * time.Second
	}
	rotated, err := a.Webhooks.Rotate(c.Request().Context(), actor, e.ID, grace)
	if err != nil {
		return webhookError(err, "This endpoint")
	}
	return c.JSON(http.StatusOK, webhookEndpointWithSecret{webhookEndpointOf(rotated.Endpoint, time.Now()), rotated.Secret})
}

// webhookOutcome is what one attempt found (schema WebhookOutcome).
type webhookOutcome struct {
	At         time.Time `json:"at"`
	Status     *int      `json:"status"`
	Response   string    `json:"response"`
	Error      string    `json:"error"`
	DurationMS int64     `json:"duration_ms"`
	State      string    `json:"state"`
}

func webhookOutcomeOf(o *store.WebhookOutcome) webhookOutcome {
	return webhookOutcome{At: utc(o.At), Status: o.Status, Response: o.Response, Error: o.Error,
		DurationMS: o.Duration.Milliseconds(), State: o.State}
}

// sendError is webhookError for test and resend, once the endpoint was
// found: ErrNotFound then means the delivery (resend), or that a worker
// claimed the test delivery first (it is sent all the same).
func sendError(err error, delivery bool) error {
	if errors.Is(err, store.ErrNotFound) && !delivery {
		return &Error{Status: http.StatusConflict, Code: "already_sending", Err: err,
			Message: "A delivery worker is sending the test event right now: its outcome shows in the delivery log."}
	}
	return webhookError(err, "This delivery")
}

// testWebhookEndpoint sends a webhook.test event now and answers what
// came of it.
func (a *API) testWebhookEndpoint(c echo.Context) error {
	actor, e, err := a.managedEndpoint(c)
	if err != nil {
		return err
	}
	o, err := a.Webhooks.SendTest(c.Request().Context(), actor, e.ID)
	if err != nil {
		tooManySends(c, err)
		return sendError(err, false)
	}
	return c.JSON(http.StatusOK, webhookOutcomeOf(o))
}

// resendWebhookDelivery sends a delivery's event again now, with the same
// webhook-id, and answers what came of it.
func (a *API) resendWebhookDelivery(c echo.Context) error {
	actor, e, err := a.managedEndpoint(c)
	if err != nil {
		return err
	}
	deliveryID, err := pathID(c, "delivery", "This delivery")
	if err != nil {
		return err
	}
	o, err := a.Webhooks.Resend(c.Request().Context(), actor, e.ID, deliveryID)
	if err != nil {
		tooManySends(c, err)
		return sendError(err, true)
	}
	return c.JSON(http.StatusOK, webhookOutcomeOf(o))
}

// webhookAttempt is one attempt of the delivery log (schema
// WebhookAttempt).
type webhookAttempt struct {
	ID          int64     `json:"id"`
	DeliveryID  int64     `json:"delivery_id"`
	WebhookID   string    `json:"webhook_id"`
	Type        string    `json:"type"`
	At          time.Time `json:"at"`
	Status      *int      `json:"status"`
	Response    string    `json:"response"`
	Error       string    `json:"error"`
	DurationMS  int       `json:"duration_ms"`
	Manual      bool      `json:"manual"`
	State       string    `json:"state"`
	RequestBody string    `json:"request_body"`
}

func webhookAttemptOf(w *store.WebhookAttempt) webhookAttempt {
	return webhookAttempt{ID: w.ID, DeliveryID: w.DeliveryID, WebhookID: w.MsgID, Type: w.Type, At: utc(w.At), Status: w.Status,
		Response: w.Response, Error: w.Error, DurationMS: w.DurationMS, Manual: w.Manual, State: w.State, RequestBody: w.Body}
}

// listWebhookDeliveries pages the endpoint's delivery log, newest first.
func (a *API) listWebhookDeliveries(c echo.Context) error {
	actor, e, err := a.managedEndpoint(c)
	if err != nil {
		return err
	}
	q, err := keysetQueryOf(c, store.WebhookLog.Parse, false)
	if err != nil {
		return err
	}
	rows, more, err := a.Store.WebhookLogPage(c.Request().Context(), e.ID, endpoints.LogBook(actor, e), q.After, q.Limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keysetList(store.WebhookLog, rows, more, webhookAttemptOf))
}

// tooManySends says when to try again after ErrTooManySends: the
// minute's count ends within a minute.
func tooManySends(c echo.Context, err error) {
	if errors.Is(err, endpoints.ErrTooManySends) {
		c.Response().Header().Set("Retry-After", "60")
	}
}
