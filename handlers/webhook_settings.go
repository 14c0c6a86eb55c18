package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/webhook/endpoints"
	"github.com/portico/portico/views"
)

// editWebhook shows the form that changes an endpoint.
func (h *Handler) editWebhook(c echo.Context) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	in := endpoints.Input{URL: e.URL, Description: e.Description, EventTypes: e.EventTypes}
	if e.ScopePartnerID != nil {
		in.ScopePartnerID = *e.ScopePartnerID
	}
	m, err := h.webhookForm(c, a, "Edit the endpoint", in, nil)
	if err != nil {
		return err
	}
	m.EndpointID = e.ID
	return h.render(c, http.StatusOK, views.WebhookFormPage(m))
}

// updateWebhook saves the endpoint form.
func (h *Handler) updateWebhook(c echo.Context) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	in, err := webhookInput(c)
	if err != nil {
		return err
	}
	_, err = h.webhooks.Update(c.Request().Context(), a, e.ID, in)
	var fail *apierr.FieldError
	if errors.As(err, &fail) {
		m, err := h.webhookForm(c, a, "Edit the endpoint", in, fail)
		if err != nil {
			return err
		}
		m.EndpointID = e.ID
		return h.render(c, http.StatusUnprocessableEntity, views.WebhookFormPage(m))
	}
	if err != nil {
		return webhookError(err)
	}
	return h.redirectWithFlash(c, views.WebhookPath(e.ID, ""), views.FlashSuccess, "The endpoint was saved.")
}

// webhookGraces are the grace periods a rotation offers, by form value.
var webhookGraces = []struct {
	value, label string
	d            time.Duration
}{
	{"0", "None: it stops at once", 0},
	{"1h", "1 hour", time.Hour},
	{"24h", "24 hours", endpoints.DefaultGrace},
	{"168h", "7 days", endpoints.MaxGrace},
}

// rotateWebhookForm asks before rotating an endpoint's signing secret.
func (h *Handler) rotateWebhookForm(c echo.Context) error {
	_, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	return h.renderRotateWebhook(c, http.StatusOK, e.ID, e.URL, e.SecretHint, "24h", "")
}

func (h *Handler) renderRotateWebhook(c echo.Context, status int, id int64, url, hint, grace, msg string) error {
	m := views.WebhookRotatePage{Page: h.page(c, "Rotate the signing secret"), EndpointID: id, URL: url, Hint: hint, Grace: grace, Error: msg}
	for _, g := range webhookGraces {
		m.Graces = append(m.Graces, views.WebhookGrace{Value: g.value, Label: g.label})
	}
	return h.render(c, status, views.WebhookRotate(m))
}

// rotateWebhook gives the endpoint a new secret and shows it once.
func (h *Handler) rotateWebhook(c echo.Context) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	raw, grace, ok := c.FormValue("grace"), time.Duration(-1), false
	for _, g := range webhookGraces {
		if g.value == raw {
			grace, ok = g.d, true
		}
	}
	if !ok {
		return h.renderRotateWebhook(c, http.StatusUnprocessableEntity, e.ID, e.URL, e.SecretHint, "24h", "Choose one of the grace periods offered.")
	}
	created, err := h.webhooks.Rotate(c.Request().Context(), a, e.ID, grace)
	var fail *apierr.FieldError
	if errors.As(err, &fail) {
		return h.renderRotateWebhook(c, http.StatusUnprocessableEntity, e.ID, e.URL, e.SecretHint, raw, fail.Message)
	}
	if err != nil {
		return webhookError(err)
	}
	return h.renderWebhookSecret(c, created, true)
}

// confirmDisableWebhook asks before disabling an endpoint; enabling it
// takes nothing away and needs no confirmation.
func (h *Handler) confirmDisableWebhook(c echo.Context) error {
	_, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	back := views.WebhookPath(e.ID, "")
	if !e.Enabled {
		return h.redirectWithFlash(c, back, views.FlashInfo, "This endpoint is disabled already.")
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Disable "+e.URL),
		Heading: "Disable " + e.URL + "?",
		Effects: []string{
			"Nothing more is sent to it, and the deliveries waiting in its queue are dropped.",
			"Its settings, secret and log are kept. Enabling it again sends the events that happen from then on.",
		},
		Action: views.WebhookPath(e.ID, "disable"), Submit: "Disable the endpoint", Back: back, Keep: "Keep it enabled",
		TestID: "confirm-disable-webhook",
	})
}

// disableWebhook stops sending to an endpoint.
func (h *Handler) disableWebhook(c echo.Context) error {
	return h.setWebhookEnabled(c, false, "The endpoint is disabled: nothing is sent to it until you enable it.")
}

// enableWebhook sends to an endpoint again, from the next event on.
func (h *Handler) enableWebhook(c echo.Context) error {
	return h.setWebhookEnabled(c, true, "The endpoint is enabled: new events are sent to it.")
}

func (h *Handler) setWebhookEnabled(c echo.Context, enabled bool, done string) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	if _, err := h.webhooks.SetEnabled(c.Request().Context(), a, e.ID, enabled); err != nil {
		return webhookError(err)
	}
	return h.redirectWithFlash(c, views.WebhookPath(e.ID, ""), views.FlashSuccess, done)
}

// confirmDeleteWebhook asks before deleting an endpoint.
func (h *Handler) confirmDeleteWebhook(c echo.Context) error {
	_, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Delete "+e.URL),
		Heading: "Delete " + e.URL + "?",
		Effects: []string{
			"Nothing more is sent to it; its queue and its delivery log are deleted with it.",
			"To pause it instead, disable it: that keeps its settings and log.",
		},
		Action: views.WebhookPath(e.ID, "delete"), Submit: "Delete the endpoint", Back: views.WebhookPath(e.ID, ""), Keep: "Keep it",
		TestID: "confirm-delete-webhook",
	})
}

// deleteWebhook deletes an endpoint with its queue and log.
func (h *Handler) deleteWebhook(c echo.Context) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	if err := h.webhooks.Delete(c.Request().Context(), a, e.ID); err != nil {
		return webhookError(err)
	}
	return h.redirectWithFlash(c, "/webhooks", views.FlashSuccess, "The endpoint "+e.URL+" was deleted.")
}
