package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/alerts"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// alertsPage lists the viewer's alerts, open ones by default: their
// partner's, or for staff every partner's they manage.
func (h *Handler) alertsPage(c echo.Context) error {
	a := actorOf(currentUser(c))
	pid := alerts.Scope(a)
	if err := h.authorize(c, access.ViewAlerts, pid); err != nil {
		return err
	}
	q, err := pageQuery(c, store.AlertsList, listPageSize, brokenLink("alerts", "Alerts from the menu"))
	if err != nil {
		return err
	}
	showAll := c.QueryParam("show") == "all"
	ctx := c.Request().Context()
	open, err := h.store.CountOpenAlerts(ctx, pid, a.Book())
	if err != nil {
		return err
	}
	as, more, err := h.store.AlertsPage(ctx, pid, a.Book(), !showAll, q.After, q.Limit)
	if err != nil {
		return err
	}
	m := views.AlertsPage{Page: h.page(c, "Alerts"), Staff: a.Staff(), ShowAll: showAll,
		Open: boundedCount(open, store.AlertCountLimit), OpenHref: "/alerts", AllHref: "/alerts?show=all"}
	manage := access.Can(a, access.ManageAlerts, pid) == access.Allow
	for _, al := range as {
		r := views.AlertRow{ID: al.ID, Partner: al.PartnerName, Rule: al.Rule, RuleLabel: alerts.Labels[al.Rule], Message: al.Message,
			Raised: formatTime(al.RaisedAt)}
		if r.RuleLabel == "" {
			r.RuleLabel = al.Rule
		}
		if al.AcknowledgedAt != nil {
			r.Acknowledged = formatTime(*al.AcknowledgedAt)
		} else if manage {
			r.AckAction = alertPath(al.ID, "acknowledge")
		}
		if al.TokenID != nil && al.TokenName != nil {
			r.TokenName = *al.TokenName
			if manage && alerts.Mutable(&al) {
				r.MuteAction = alertPath(al.ID, "mute")
			}
			if !al.TokenRevoked && al.TokenOwnerID != nil &&
				access.CanToken(a, access.RevokeToken, *al.TokenOwnerID, al.PartnerID) == access.Allow {
				r.RevokePath = partnerRevokePath(a.Staff(), al.PartnerID, *al.TokenID)
			}
		}
		m.Rows = append(m.Rows, r)
	}
	show := ""
	if showAll {
		show = "show=all&"
	}
	m.Pager = views.ListPager{Label: "Pages of alerts"}
	if q.After != nil {
		m.Pager.FirstHref = "/alerts"
		if showAll {
			m.Pager.FirstHref = "/alerts?show=all"
		}
	}
	if more {
		m.Pager.NextHref = "/alerts?" + show + "after=" + store.AlertsList.Cursor(as[len(as)-1].Key())
	}
	return h.render(c, http.StatusOK, views.Alerts(m))
}

func alertPath(id int64, action string) string {
	return "/alerts/" + strconv.FormatInt(id, 10) + "/" + action
}

// alertFor loads the alert in the URL for someone who may manage it; an
// alert of another partner answers like one that does not exist.
func (h *Handler) alertFor(c echo.Context) (*store.Alert, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	al, err := h.store.AlertByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("This alert")
	}
	if err != nil {
		return nil, err
	}
	if err := h.authorize(c, access.ManageAlerts, al.PartnerID); err != nil {
		return nil, err
	}
	return al, nil
}

// acknowledgeAlert marks an alert handled, audited.
func (h *Handler) acknowledgeAlert(c echo.Context) error {
	al, err := h.alertFor(c)
	if err != nil {
		return err
	}
	if err := alerts.Acknowledge(c.Request().Context(), h.store, al, currentUser(c).ID); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/alerts", "success", "Alert acknowledged.")
}

// muteAlert stops the alert's rule from being raised for its credential
// again, and acknowledges it, audited.
func (h *Handler) muteAlert(c echo.Context) error {
	al, err := h.alertFor(c)
	if err != nil {
		return err
	}
	err = alerts.Mute(c.Request().Context(), h.store, al, currentUser(c).ID)
	if errors.Is(err, alerts.ErrNotMutable) {
		return BadRequest("Only an alert about one credential can be muted for it.")
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/alerts", "success", "“"+alerts.Labels[al.Rule]+"” will not be raised for “"+*al.TokenName+"” again.")
}
