package handlers

import (
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
	"github.com/portico/portico/views"
)

// maxWebhookFormValues bounds the checkboxes a posted endpoint form may
// carry: every event type and group, with room to spare.
const maxWebhookFormValues = 100

// webhookInput reads the endpoint form. A group's "every event" box
// stands for the group's types, so choosing a whole group needs no
// script.
func webhookInput(c echo.Context) (endpoints.Input, error) {
	form, err := c.FormParams()
	if err != nil {
		return endpoints.Input{}, BadRequest("The form could not be read.")
	}
	types, groups := form["event_type"], form["group"]
	if len(types)+len(groups) > maxWebhookFormValues {
		return endpoints.Input{}, BadRequest("The form holds more event types than there are.")
	}
	in := endpoints.Input{URL: form.Get("url"), Description: form.Get("description")}
	for _, t := range webhook.Types {
		if slices.Contains(types, t.Name) || slices.Contains(groups, t.Group) {
			in.EventTypes = append(in.EventTypes, t.Name)
		}
	}
	// An unknown type is kept, for the service to refuse at its field.
	for _, t := range types {
		if !webhook.Known(t) && !slices.Contains(in.EventTypes, t) {
			in.EventTypes = append(in.EventTypes, t)
		}
	}
	if raw := strings.TrimSpace(form.Get("partner")); raw != "" && raw != "0" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			id = -1 // refused by the service at the field, as one not managed
		}
		in.ScopePartnerID = id
	}
	return in, nil
}

// webhookForm is the endpoint form's model for a: what was entered and,
// on a refusal, its message at its field. Staff choose whose events.
func (h *Handler) webhookForm(c echo.Context, a access.Actor, title string, in endpoints.Input, fail *apierr.FieldError) (views.WebhookForm, error) {
	m := views.WebhookForm{Page: h.page(c, title), URL: in.URL, Description: in.Description, PartnerID: in.ScopePartnerID,
		MaxDescription: endpoints.MaxDescription}
	for _, t := range webhook.Types {
		if n := len(m.Groups); n == 0 || m.Groups[n-1].Name != t.Group {
			m.Groups = append(m.Groups, views.WebhookTypeGroup{Name: t.Group})
		}
		g := &m.Groups[len(m.Groups)-1]
		g.Types = append(g.Types, views.WebhookTypeChoice{Name: t.Name, About: t.About, Checked: slices.Contains(in.EventTypes, t.Name)})
	}
	if a.Staff() {
		m.AllLabel = "Every partner I manage"
		if a.Role == access.RoleAdmin {
			m.AllLabel = "Every partner"
		}
		choices, err := h.store.WebhookPartnerChoices(c.Request().Context(), a.UserID, a.Role == access.RoleAdmin)
		if err != nil {
			return m, err
		}
		m.Partners = []views.WebhookPartner{}
		for _, p := range choices {
			m.Partners = append(m.Partners, views.WebhookPartner{ID: p.ID, Name: p.Name})
		}
	}
	if fail != nil {
		switch fail.Field {
		case "description":
			m.DescError = fail.Message
		case "event_types":
			m.TypesError = fail.Message
		case "partner":
			m.PartnerError = fail.Message
		default:
			m.URLError = fail.Message
		}
	}
	return m, nil
}
