package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook/endpoints"
)

// webhookEndpoint is an endpoint as the API answers it (schema
// WebhookEndpoint): its signing secret by its hint only.
type webhookEndpoint struct {
	ID          int64    `json:"id"`
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
	// PartnerID is the one partner whose events it receives; null for a
	// staff endpoint receiving every partner its owner manages.
	PartnerID *int64 `json:"partner_id"`
	// Staff says a staff member registered it (not a partner's admins).
	Staff               bool          `json:"staff"`
	Owner               endpointOwner `json:"owner"`
	SecretHint          string        `json:"secret_hint"`
	PreviousSecretUntil *time.Time    `json:"previous_secret_until"`
	Enabled             bool          `json:"enabled"`
	DisabledAt          *time.Time    `json:"disabled_at"`
	DisabledReason      string        `json:"disabled_reason"`
	FailingSince        *time.Time    `json:"failing_since"`
	CreatedAt           time.Time     `json:"created_at"`
}

// endpointOwner is who registered an endpoint.
type endpointOwner struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

// webhookEndpointWithSecret is an endpoint with its signing secret, in the
// answers to creating it and rotating its secret only.
type webhookEndpointWithSecret struct {
	webhookEndpoint
	Secret string `json:"secret"`
}

func webhookEndpointOf(e *store.WebhookEndpoint, now time.Time) webhookEndpoint {
	out := webhookEndpoint{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: append([]string{}, e.EventTypes...),
		PartnerID: e.PartnerID, Staff: e.PartnerID == nil, Owner: endpointOwner{ID: e.OwnerID, Email: e.OwnerEmail},
		SecretHint: e.SecretHint, Enabled: e.Enabled, DisabledAt: utcPtr(e.DisabledAt), DisabledReason: e.DisabledReason,
		FailingSince: utcPtr(e.FailingSince), CreatedAt: utc(e.CreatedAt)}
	if e.PartnerID == nil {
		out.PartnerID = e.ScopePartnerID
	}
	// The previous secret signs only until then: past it, nothing to say.
	if e.PreviousSecretUntil != nil && e.PreviousSecretUntil.After(now) && len(e.PreviousSecretEnc) > 0 {
		out.PreviousSecretUntil = utcPtr(e.PreviousSecretUntil)
	}
	return out
}

// webhookEndpointInput is the body of POST (schema WebhookEndpointInput).
type webhookEndpointInput struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	EventTypes  []string `json:"event_types"`
	PartnerID   *int64   `json:"partner_id"`
}

// webhookEndpointChange is the body of PATCH (schema
// WebhookEndpointChange): fields left out stay as they are; partner_id
// null means every partner the (staff) owner manages.
type webhookEndpointChange struct {
	URL         *string         `json:"url"`
	Description *string         `json:"description"`
	EventTypes  *[]string       `json:"event_types"`
	PartnerID   json.RawMessage `json:"partner_id"`
	Enabled     *bool           `json:"enabled"`
}

// webhookError turns the endpoint service's errors into API errors.
func webhookError(err error, what string) error {
	var fe *apierr.FieldError
	switch {
	case errors.As(err, &fe) && fe.Field == "partner":
		// The page's select is "partner"; the API's field partner_id.
		return invalidInput("partner_id", fe.Message)
	case errors.As(err, &fe) && fe.Field == "grace":
		return invalidInput("grace_seconds", fe.Message)
	case errors.Is(err, endpoints.ErrDisabled):
		return &Error{Status: http.StatusConflict, Code: "endpoint_disabled", Err: err,
			Message: "The endpoint is disabled: enable it (PATCH with enabled true) before sending to it."}
	case errors.Is(err, endpoints.ErrTooManySends):
		return &Error{Status: http.StatusTooManyRequests, Code: "too_many_sends", Err: err,
			Message: "That is " + strconv.Itoa(endpoints.MaxManualSends) + " test events and resends to this endpoint within a minute already: wait a minute."}
	case errors.Is(err, store.ErrDeliveryPending):
		return &Error{Status: http.StatusConflict, Code: "delivery_pending", Err: err,
			Message: "The delivery is still queued: it goes out on its own, retried until it is answered."}
	}
	return domainError(err, what)
}

// listWebhookEndpoints lists the endpoints the caller manages (at most
// store.MaxWebhookEndpoints each owner, so one page).
func (a *API) listWebhookEndpoints(c echo.Context) error {
	actor, _, err := a.authorize(c, access.ManageWebhooks)
	if err != nil {
		return err
	}
	es, err := a.Webhooks.List(c.Request().Context(), actor)
	if err != nil {
		return webhookError(err, "This endpoint")
	}
	now := time.Now()
	out := list[webhookEndpoint]{Items: make([]webhookEndpoint, 0, len(es))}
	for i := range es {
		out.Items = append(out.Items, webhookEndpointOf(&es[i], now))
	}
	return c.JSON(http.StatusOK, out)
}

// createWebhookEndpoint registers an endpoint and answers its secret,
// this once.
func (a *API) createWebhookEndpoint(c echo.Context) error {
	actor, _, err := a.authorize(c, access.ManageWebhooks)
	if err != nil {
		return err
	}
	var in webhookEndpointInput
	if err := decode(c, &in); err != nil {
		return err
	}
	input := endpoints.Input{URL: in.URL, Description: in.Description, EventTypes: in.EventTypes}
	if in.PartnerID != nil {
		if *in.PartnerID <= 0 {
			return invalidInput("partner_id", "Choose a partner you manage, or leave it out for all of them.")
		}
		input.ScopePartnerID = *in.PartnerID
	}
	created, err := a.Webhooks.Create(c.Request().Context(), actor, input)
	if err != nil {
		return webhookError(err, "This endpoint")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/webhook-endpoints/"+strconv.FormatInt(created.Endpoint.ID, 10))
	return c.JSON(http.StatusCreated, webhookEndpointWithSecret{webhookEndpointOf(created.Endpoint, time.Now()), created.Secret})
}

// managedEndpoint reads the endpoint of the path that the caller manages:
// 403 for a role that manages none, 404 for one they may not see.
func (a *API) managedEndpoint(c echo.Context) (access.Actor, *store.WebhookEndpoint, error) {
	actor, _, err := a.authorize(c, access.ManageWebhooks)
	if err != nil {
		return actor, nil, err
	}
	id, err := pathID(c, "id", "This endpoint")
	if err != nil {
		return actor, nil, err
	}
	e, err := a.Webhooks.Get(c.Request().Context(), actor, id)
	if err != nil {
		return actor, nil, webhookError(err, "This endpoint")
	}
	return actor, e, nil
}

// getWebhookEndpoint answers one endpoint.
func (a *API) getWebhookEndpoint(c echo.Context) error {
	_, e, err := a.managedEndpoint(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, webhookEndpointOf(e, time.Now()))
}

// updateWebhookEndpoint changes the fields sent: what the endpoint
// receives and where, and whether it is enabled, all or nothing.
func (a *API) updateWebhookEndpoint(c echo.Context) error {
	actor, e, err := a.managedEndpoint(c)
	if err != nil {
		return err
	}
	var in webhookEndpointChange
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	input := endpoints.Input{URL: e.URL, Description: e.Description, EventTypes: e.EventTypes}
	if e.ScopePartnerID != nil {
		input.ScopePartnerID = *e.ScopePartnerID
	}
	if in.PartnerID != nil {
		if input.ScopePartnerID, err = changedPartner(in.PartnerID, e.PartnerID); err != nil {
			return err
		}
	}
	if in.URL != nil {
		input.URL = *in.URL
	}
	if in.Description != nil {
		input.Description = *in.Description
	}
	if in.EventTypes != nil {
		input.EventTypes = *in.EventTypes
	}
	// The settings sent and "enabled" change in one transaction.
	var settings *endpoints.Input
	if in.URL != nil || in.Description != nil || in.EventTypes != nil || in.PartnerID != nil {
		settings = &input
	}
	if settings != nil || in.Enabled != nil {
		if e, err = a.Webhooks.Change(ctx, actor, e.ID, settings, in.Enabled); err != nil {
			return webhookError(err, "This endpoint")
		}
	}
	return c.JSON(http.StatusOK, webhookEndpointOf(e, time.Now()))
}

// changedPartner reads PATCH's partner_id: null (every partner) or a
// partner's id. A partner's endpoint stays its partner's: its own id is
// accepted as it is answered (a client may send back what it read),
// anything else refused rather than ignored.
func changedPartner(raw json.RawMessage, owner *int64) (int64, error) {
	var id int64
	if string(raw) != "null" {
		if err := json.Unmarshal(raw, &id); err != nil || id <= 0 {
			return 0, invalidInput("partner_id", "must be a partner's id, or null for every partner you manage.")
		}
	}
	if owner != nil {
		if id != *owner {
			return 0, invalidInput("partner_id", "A partner's endpoint receives its own partner's events only.")
		}
		return 0, nil
	}
	return id, nil
}

// deleteWebhookEndpoint deletes an endpoint with its queue and log.
func (a *API) deleteWebhookEndpoint(c echo.Context) error {
	actor, e, err := a.managedEndpoint(c)
	if err != nil {
		return err
	}
	if err := a.Webhooks.Delete(c.Request().Context(), actor, e.ID); err != nil {
		return webhookError(err, "This endpoint")
	}
	return c.NoContent(http.StatusNoContent)
}
