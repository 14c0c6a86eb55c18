package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// maxPartnerRate bounds a partner's ceiling on requests per minute (the
// column's CHECK): far above any real partner, below what would overflow
// anything that counts it.
const maxPartnerRate = 1_000_000

// PartnerSettingsPath is where a partner's own settings are saved.
func PartnerSettingsPath(id int64) string { return views.PartnerPagePath(id) + "/settings" }

// savePartnerSettings saves the settings staff who manage a partner own
// for it (its ceiling on requests per minute, longest token lifetime,
// approval of live credentials, developers' OAuth clients) in one
// transaction, with an audit event from and to for each one changed. A
// field the form did not send is left as it is. Refused values are shown
// again on the partner page, each at its field.
func (h *Handler) savePartnerSettings(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.ManagePartnerSettings, id); err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := h.store.PartnerSettingsOf(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This partner")
	}
	if err != nil {
		return err
	}
	if cur.Status == store.PartnerEnded {
		return partnerEnded(cur.Name, "its settings")
	}
	in, form := readPartnerSettings(c, cur)
	if form.TokenMaxDaysError != "" || form.RateLimitError != "" {
		return h.renderPartnerPage(c, http.StatusUnprocessableEntity, &form)
	}
	var said []string
	err = h.store.InTx(ctx, func(tx *store.Store) error {
		was, err := tx.LockPartnerSettings(ctx, id)
		if err != nil {
			return err
		}
		// Read again under the lock: the partnership may have ended since.
		if was.Status == store.PartnerEnded {
			return partnerEnded(was.Name, "its settings")
		}
		want := in.apply(was)
		events := partnerSettingEvents(id, was, want)
		if len(events) == 0 {
			return nil
		}
		if err := tx.SetPartnerSettings(ctx, id, want); err != nil {
			return err
		}
		for _, ev := range events {
			if err := audit.Record(ctx, tx, ev.Event); err != nil {
				return err
			}
			said = append(said, ev.said)
		}
		return nil
	})
	if err != nil {
		return err
	}
	msg := "Nothing changed: the settings were already these."
	if len(said) > 0 {
		msg = "Saved. " + strings.Join(said, " ")
	}
	return h.redirectWithFlash(c, views.PartnerPagePath(id), "success", msg)
}

// partnerSettingsInput is what the settings form sent: each field set
// only when it was in the form.
type partnerSettingsInput struct {
	days, rate             *int
	daysSet, rateSet       bool
	approval, devClients   bool
	approvalSet, clientSet bool
}

// readPartnerSettings reads the form against the saved settings cur: the
// input, and the form to show again (with a message at each refused
// field).
func readPartnerSettings(c echo.Context, cur store.PartnerSettings) (partnerSettingsInput, views.PartnerSettingsForm) {
	form := partnerSettingsForm(cur)
	var in partnerSettingsInput
	values, _ := c.FormParams()
	if raw, ok := values["token_max_days"]; ok {
		in.daysSet = true
		form.TokenMaxDays = strings.TrimSpace(lastOf(raw))
		if form.TokenMaxDays != "" {
			n, shown, ok := wholeIn(form.TokenMaxDays, 1, cur.Portal)
			if ok {
				in.days = &n
			} else {
				form.TokenMaxDays = shown
				form.TokenMaxDaysError = "Enter a whole number of days from 1 to " + strconv.Itoa(cur.Portal) + " (the portal's maximum), or leave it empty."
			}
		}
	}
	if raw, ok := values["rate_limit_per_minute"]; ok {
		in.rateSet = true
		form.RateLimit = strings.TrimSpace(lastOf(raw))
		if form.RateLimit != "" {
			n, shown, ok := wholeIn(form.RateLimit, 1, maxPartnerRate)
			if ok {
				in.rate = &n
			} else {
				form.RateLimit = shown
				form.RateLimitError = "Enter a whole number of requests per minute from 1 to 1,000,000, or leave it empty for no ceiling."
			}
		}
	}
	if raw, ok := values["require_live_approval"]; ok {
		in.approvalSet, in.approval = true, lastOf(raw) == "on"
		form.RequireApproval = in.approval
	}
	if raw, ok := values["developer_clients"]; ok {
		in.clientSet, in.devClients = true, lastOf(raw) == "on"
		form.DeveloperClients = in.devClients
	}
	return in, form
}

// apply is the settings was with what the form sent.
func (in partnerSettingsInput) apply(was store.PartnerSettings) store.PartnerSettings {
	want := was
	if in.daysSet {
		want.Partner = in.days
	}
	if in.rateSet {
		want.RateLimit = in.rate
	}
	if in.approvalSet {
		want.RequireLiveApproval = in.approval
	}
	if in.clientSet {
		want.DeveloperClients = in.devClients
	}
	return want
}

func lastOf(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[len(vs)-1]
}

// partnerSettingsForm is the settings form showing the saved settings.
func partnerSettingsForm(s store.PartnerSettings) views.PartnerSettingsForm {
	f := views.PartnerSettingsForm{PortalMaxDays: s.Portal, MaxRateLimit: maxPartnerRate,
		RequireApproval: s.RequireLiveApproval, DeveloperClients: s.DeveloperClients}
	if s.Partner != nil {
		f.TokenMaxDays = strconv.Itoa(*s.Partner)
	}
	if s.RateLimit != nil {
		f.RateLimit = strconv.Itoa(*s.RateLimit)
	}
	return f
}
