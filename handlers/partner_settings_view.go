package handlers

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// settingEvent is the audit event of one changed partner setting and the
// sentence the flash says of it.
type settingEvent struct {
	audit.Event
	said string
}

// partnerSettingEvents lists an event per setting that differs between
// was and want, from and to, in the form's order.
func partnerSettingEvents(id int64, was, want store.PartnerSettings) []settingEvent {
	var out []settingEvent
	event := func(action string, from, to any, said string) {
		out = append(out, settingEvent{Event: audit.Event{Action: action, PartnerID: id, TargetType: "partner", TargetID: id,
			Target: was.Name, Details: map[string]any{"from": from, "to": to}}, said: said})
	}
	if !sameInt(was.RateLimit, want.RateLimit) {
		said := "It has no ceiling now: each access group's limit applies."
		if want.RateLimit != nil {
			said = "Its calls are now held to " + strconv.Itoa(*want.RateLimit) + " a minute across all its APIs."
		}
		event("partner.rate_limit", was.RateLimit, want.RateLimit, said)
	}
	if !sameInt(was.Partner, want.Partner) {
		said := "Its tokens now follow the portal's maximum of " + strconv.Itoa(want.Portal) + " days."
		if want.Partner != nil {
			said = "Its new tokens now live at most " + strconv.Itoa(*want.Partner) + " days; existing ones keep their expiry."
		}
		ev := settingEvent{Event: audit.Event{Action: "partner.token_max_days", PartnerID: id, TargetType: "partner", TargetID: id,
			Target: was.Name, Details: map[string]any{"from": was.Partner, "to": want.Partner, "portal": want.Portal}}, said: said}
		out = append(out, ev)
	}
	if was.RequireLiveApproval != want.RequireLiveApproval {
		said := "Its live credentials now work as soon as they are created."
		if want.RequireLiveApproval {
			said = "Its developers' live credentials now wait for a partner admin's approval."
		}
		event("partner.live_approval", was.RequireLiveApproval, want.RequireLiveApproval, said)
	}
	if was.DeveloperClients != want.DeveloperClients {
		said := "Only its partner admins register OAuth clients now; clients already registered keep working."
		if want.DeveloperClients {
			said = "Its developers may now register their own OAuth clients."
		}
		event("partner.developer_clients", was.DeveloperClients, want.DeveloperClients, said)
	}
	return out
}

func sameInt(a, b *int) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// partnerPageSettings fills the partner page's settings form for staff who
// may change them: the saved settings, or form after a refusal.
func (h *Handler) partnerPageSettings(c echo.Context, id int64, m *views.PartnerPage, form *views.PartnerSettingsForm) error {
	if access.Can(actorOf(currentUser(c)), access.ManagePartnerSettings, id) != access.Allow {
		return nil
	}
	s, err := h.store.PartnerSettingsOf(c.Request().Context(), id)
	if err != nil {
		return err
	}
	if form != nil {
		m.Settings = *form
	} else {
		m.Settings = partnerSettingsForm(s)
	}
	m.Settings.Action = PartnerSettingsPath(id)
	return nil
}

// partnerSettingsView is a partner's own settings as its people (and,
// with a link to change them, staff) read them, naming its account
// managers.
func (h *Handler) partnerSettingsView(ctx context.Context, a access.Actor, partnerID int64) (views.PartnerSettingsView, error) {
	s, err := h.store.PartnerSettingsOf(ctx, partnerID)
	if err != nil {
		return views.PartnerSettingsView{}, err
	}
	ms, err := h.store.PartnerManagers(ctx, partnerID)
	if err != nil {
		return views.PartnerSettingsView{}, err
	}
	v := views.PartnerSettingsView{Partner: s.Name, TokenMaxDays: s.Days(), PartnerCapped: s.PartnerCapped(),
		RequireApproval: s.RequireLiveApproval, DeveloperClients: s.DeveloperClients}
	if s.RateLimit != nil {
		v.RateLimit = *s.RateLimit
	}
	for _, m := range ms {
		v.Managers = append(v.Managers, m.Name)
	}
	if access.Can(a, access.ManagePartnerSettings, partnerID) == access.Allow && s.Status != store.PartnerEnded {
		v.EditHref = views.PartnerPagePath(partnerID) + "#partner-settings-heading"
	}
	return v, nil
}

// partnerCeiling is a partner's ceiling on requests per minute; 0: none.
func (h *Handler) partnerCeiling(ctx context.Context, partnerID int64) (int, error) {
	s, err := h.store.PartnerSettingsOf(ctx, partnerID)
	if err != nil || s.RateLimit == nil {
		return 0, err
	}
	return *s.RateLimit, nil
}
