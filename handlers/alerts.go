package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// ruleLabels name the alert rules on the page.
var ruleLabels = map[string]string{
	"quota":           "Quota",
	"rate_limited":    "Refused by the rate limit",
	"spike_calls":     "Unusually many calls",
	"spike_4xx":       "Unusually many refused calls",
	"spike_5xx":       "Unusually many failed calls",
	"expiring_in_use": "Expires soon while in use",
	"leaked":          "Leaked and revoked",
}

// alertsScope is whose alerts the viewer sees: their partner's, or every
// partner's (0) for staff.
func alertsScope(a access.Actor) int64 {
	if a.Staff() {
		return 0
	}
	return a.PartnerID
}

// alertsPage lists the viewer's alerts, open ones by default.
func (h *Handler) alertsPage(c echo.Context) error {
	a := actorOf(currentUser(c))
	pid := alertsScope(a)
	if err := h.authorize(c, access.ViewAlerts, pid); err != nil {
		return err
	}
	q, err := pageQuery(c, store.AlertsList, listPageSize, brokenLink("alerts", "Alerts from the menu"))
	if err != nil {
		return err
	}
	showAll := c.QueryParam("show") == "all"
	ctx := c.Request().Context()
	open, err := h.store.CountOpenAlerts(ctx, pid)
	if err != nil {
		return err
	}
	as, more, err := h.store.AlertsPage(ctx, pid, !showAll, q.After, q.Limit)
	if err != nil {
		return err
	}
	m := views.AlertsPage{Page: h.page(c, "Alerts"), Staff: a.Staff(), ShowAll: showAll,
		Open: boundedCount(open, store.AlertCountLimit), OpenHref: "/alerts", AllHref: "/alerts?show=all"}
	manage := access.Can(a, access.ManageAlerts, pid) == access.Allow
	for _, al := range as {
		r := views.AlertRow{ID: al.ID, Partner: al.PartnerName, Rule: al.Rule, RuleLabel: ruleLabels[al.Rule], Message: al.Message,
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
			if manage && al.Rule != "leaked" {
				r.MuteAction = alertPath(al.ID, "mute")
			}
			if !al.TokenRevoked && al.TokenOwnerID != nil &&
				access.CanToken(a, access.RevokeToken, *al.TokenOwnerID, al.PartnerID) == access.Allow {
				r.RevokePath = tokenPath(*al.TokenID, "revoke") + "?from=partner"
				if a.Staff() {
					r.RevokePath = partnerTokensPath(al.PartnerID) + "/" + strconv.FormatInt(*al.TokenID, 10) + "/revoke"
				}
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
	ctx := c.Request().Context()
	err = h.store.InTx(ctx, func(tx *store.Store) error {
		done, err := tx.AcknowledgeAlert(ctx, al.ID, currentUser(c).ID)
		if err != nil || !done {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "alert.acknowledge", PartnerID: al.PartnerID, TargetType: "alert",
			TargetID: al.ID, Target: ruleLabels[al.Rule], Details: map[string]any{"rule": al.Rule, "cause": al.Cause}})
	})
	if err != nil {
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
	if al.TokenID == nil || al.Rule == "leaked" {
		return BadRequest("Only an alert about one credential can be muted for it.")
	}
	ctx := c.Request().Context()
	by := currentUser(c).ID
	err = h.store.InTx(ctx, func(tx *store.Store) error {
		if err := tx.MuteAlertRule(ctx, *al.TokenID, al.Rule, by); err != nil {
			return err
		}
		if _, err := tx.AcknowledgeAlert(ctx, al.ID, by); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "alert.mute", PartnerID: al.PartnerID, TargetType: "token",
			TargetID: *al.TokenID, Target: *al.TokenName, Details: map[string]any{"rule": al.Rule}})
	})
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/alerts", "success", "“"+ruleLabels[al.Rule]+"” will not be raised for “"+*al.TokenName+"” again.")
}
