package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/alerts"
	"github.com/portico/portico/internal/store"
)

// alertJSON is an alert as the API sends it.
type alertJSON struct {
	ID             int64      `json:"id"`
	PartnerID      int64      `json:"partner_id"`
	Partner        string     `json:"partner"`
	Rule           string     `json:"rule"`
	Cause          string     `json:"cause"`
	Message        string     `json:"message"`
	TokenID        *int64     `json:"token_id"`
	TokenName      *string    `json:"token_name"`
	RaisedAt       time.Time  `json:"raised_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at"`
}

func alertOut(al *store.Alert) alertJSON {
	out := alertJSON{ID: al.ID, PartnerID: al.PartnerID, Partner: al.PartnerName, Rule: al.Rule, Cause: al.Cause, Message: al.Message,
		TokenID: al.TokenID, TokenName: al.TokenName, RaisedAt: utc(al.RaisedAt)}
	if al.AcknowledgedAt != nil {
		t := utc(*al.AcknowledgedAt)
		out.AcknowledgedAt = &t
	}
	return out
}

// listAlerts lists the caller's alerts, newest first: the open ones, or
// all with status=all.
func (a *API) listAlerts(c echo.Context) error {
	actor, _ := c.Get(actorKey).(access.Actor)
	pid := alerts.Scope(actor)
	if _, err := a.authorizeOn(c, access.ViewAlerts, pid); err != nil {
		return err
	}
	q, err := keysetQueryOf(c, store.AlertsList.Parse, false)
	if err != nil {
		return err
	}
	status := c.QueryParam("status")
	if status != "" && status != "open" && status != "all" {
		return badRequest("status must be open or all.")
	}
	as, more, err := a.Store.AlertsPage(c.Request().Context(), pid, actor.Book(), status != "all", q.After, q.Limit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keysetList(store.AlertsList, as, more, alertOut))
}

// acknowledgeAlert marks one alert handled and answers it.
func (a *API) acknowledgeAlert(c echo.Context) error {
	id, err := pathID(c, "id", "This alert")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	al, err := a.Store.AlertByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("This alert")
	}
	if err != nil {
		return err
	}
	actor, err := a.authorizeOn(c, access.ManageAlerts, al.PartnerID)
	if err != nil {
		return err
	}
	if err := alerts.Acknowledge(ctx, a.Store, al, actor.UserID); err != nil {
		return err
	}
	if al, err = a.Store.AlertByID(ctx, id); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, alertOut(al))
}
