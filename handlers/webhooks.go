package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook/endpoints"
	"github.com/portico/portico/views"
)

// The webhook pages (issue 20): partner admins manage their partner's
// endpoints, staff their own (platform admins every staff member's), on
// the same URLs. The policy admits the role (access.ManageWebhooks);
// the endpoint service decides which endpoints the actor sees, answering
// store.ErrNotFound, a 404 here, for any other.

// webhookActor is the signed-in user, admitted to the webhook pages.
func (h *Handler) webhookActor(c echo.Context) (access.Actor, error) {
	a := actorOf(currentUser(c))
	return a, h.authorize(c, access.ManageWebhooks, a.PartnerID)
}

// webhookList lists the endpoints the viewer manages.
func (h *Handler) webhookList(c echo.Context) error {
	a, err := h.webhookActor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	list, err := h.webhooks.List(ctx, a)
	if err != nil {
		return err
	}
	ids := make([]int64, len(list))
	for i, e := range list {
		ids[i] = e.ID
	}
	queues, err := h.store.WebhookQueueSizes(ctx, ids)
	if err != nil {
		return err
	}
	m := views.WebhooksPage{Page: h.page(c, "Webhooks"), Staff: a.Staff(), ShowOwner: a.Role == access.RoleAdmin, AtMost: store.MaxWebhookEndpoints}
	own := 0
	for _, e := range list {
		m.Rows = append(m.Rows, webhookRow(&e, queues[e.ID], a))
		if e.OwnerID == a.UserID || !a.Staff() {
			own++
		}
	}
	m.LimitReach = own >= store.MaxWebhookEndpoints
	return h.render(c, http.StatusOK, views.Webhooks(m))
}

// webhookRow is an endpoint as the pages show it.
func webhookRow(e *store.WebhookEndpoint, queue int, a access.Actor) views.WebhookRow {
	r := views.WebhookRow{ID: e.ID, URL: e.URL, Description: e.Description, EventCount: len(e.EventTypes),
		SecretHint: e.SecretHint, Queue: queue, Owner: e.OwnerEmail, Status: "enabled", StatusText: "Enabled"}
	switch {
	case !e.Enabled:
		r.Status, r.StatusText = "disabled", "Disabled"
		if e.DisabledAt != nil {
			r.StatusText += " since " + formatTime(*e.DisabledAt)
		}
	case e.FailingSince != nil:
		r.Status, r.StatusText = "failing", "Failing since "+formatTime(*e.FailingSince)
	}
	if e.PartnerID == nil {
		r.Scope = "Events of " + e.PartnerName
		if e.ScopePartnerID == nil {
			r.Scope = allPartnersLabel(a, e.OwnerID)
		}
	}
	return r
}

// allPartnersLabel names a staff endpoint for every partner its owner
// manages, as its viewer reads it.
func allPartnersLabel(a access.Actor, ownerID int64) string {
	switch {
	case a.UserID == ownerID && a.Role == access.RoleAdmin:
		return "Events of every partner"
	case a.UserID == ownerID:
		return "Events of every partner I manage"
	}
	return "Events of every partner its owner manages"
}

// newWebhook shows the form that adds an endpoint.
func (h *Handler) newWebhook(c echo.Context) error {
	a, err := h.webhookActor(c)
	if err != nil {
		return err
	}
	m, err := h.webhookForm(c, a, "Add a webhook endpoint", endpoints.Input{}, nil)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.WebhookFormPage(m))
}

// createWebhook adds an endpoint and shows its signing secret, this once.
func (h *Handler) createWebhook(c echo.Context) error {
	a, err := h.webhookActor(c)
	if err != nil {
		return err
	}
	in, err := webhookInput(c)
	if err != nil {
		return err
	}
	created, err := h.webhooks.Create(c.Request().Context(), a, in)
	var fail *apierr.FieldError
	if errors.As(err, &fail) {
		m, err := h.webhookForm(c, a, "Add a webhook endpoint", in, fail)
		if err != nil {
			return err
		}
		return h.render(c, http.StatusUnprocessableEntity, views.WebhookFormPage(m))
	}
	if err != nil {
		return webhookError(err)
	}
	return h.renderWebhookSecret(c, created, false)
}

// renderWebhookSecret shows a new secret (of a new endpoint, or a
// rotation) on a page no cache may keep: nothing else ever shows it.
func (h *Handler) renderWebhookSecret(c echo.Context, created *endpoints.Created, rotated bool) error {
	e := created.Endpoint
	title := "The signing secret of your new endpoint"
	if rotated {
		title = "The new signing secret"
	}
	m := views.WebhookSecretPage{Page: h.page(c, title), EndpointID: e.ID, URL: e.URL, Secret: created.Secret, Hint: e.SecretHint, Rotated: rotated}
	if e.PreviousSecretUntil != nil && e.PreviousSecretUntil.After(time.Now()) {
		m.GraceUntil = formatTime(*e.PreviousSecretUntil)
	}
	hd := c.Response().Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	return h.render(c, http.StatusOK, views.WebhookSecret(m))
}

// webhookError turns what the endpoint service refuses into answers.
func webhookError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This webhook endpoint")
	case errors.Is(err, endpoints.ErrDisabled):
		return &Error{Status: http.StatusConflict, Code: "disabled", Message: "This endpoint is disabled: enable it first."}
	}
	return err
}
