package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// retentionForm is the retention part of the settings page: the saved
// settings, or f (what was typed, refused) when given, and the last run.
func (h *Handler) retentionForm(ctx context.Context, f *views.RetentionForm) (views.RetentionForm, error) {
	var out views.RetentionForm
	if f != nil {
		out = *f
	} else {
		s, err := h.store.RetentionSettings(ctx)
		if err != nil {
			return out, err
		}
		out.CallsDays, out.RollupsDays = strconv.Itoa(s.CallsDays), strconv.Itoa(s.RollupsDays)
	}
	run, err := h.store.LastRetentionRun(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	v := &views.RetentionRunView{
		At:                 formatTime(run.StartedAt),
		CallsBefore:        run.CallsBefore.Format("2 Jan 2006"),
		RollupsBefore:      run.RollupsBefore.UTC().Format("2 Jan 2006"),
		PartitionsDropped:  len(run.PartitionsDropped),
		DefaultRowsDeleted: formatCount(run.DefaultRowsDeleted),
		RollupRowsDeleted:  formatCount(run.RollupRowsDeleted),
		Complete:           run.Complete,
		Error:              run.Error,
	}
	if n := len(run.PartitionsDropped); n > 0 {
		v.FirstDropped, v.LastDropped = partitionDay(run.PartitionsDropped[0]), partitionDay(run.PartitionsDropped[n-1])
	}
	out.LastRun = v
	return out, nil
}

// partitionDay says the day of a partition named api_calls_YYYYMMDD.
func partitionDay(name string) string {
	d, err := time.Parse("20060102", strings.TrimPrefix(name, "api_calls_"))
	if err != nil {
		return name
	}
	return d.Format("2 Jan 2006")
}

// saveRetentionSettings changes how long calls and usage rollups are
// kept, audited.
func (h *Handler) saveRetentionSettings(c echo.Context) error {
	if err := h.authorize(c, access.ManagePortalSettings, 0); err != nil {
		return err
	}
	f := views.RetentionForm{
		CallsDays:   strings.TrimSpace(c.FormValue("calls_retention_days")),
		RollupsDays: strings.TrimSpace(c.FormValue("rollups_retention_days")),
	}
	calls, err := strconv.Atoi(f.CallsDays)
	if err != nil || calls < store.MinRetentionDays || calls > store.MaxCallsRetentionDays {
		f.CallsDaysError = "Enter a whole number of days from 7 to 3650 (ten years)."
	}
	rollups, err := strconv.Atoi(f.RollupsDays)
	switch {
	case err != nil || rollups < store.MinRetentionDays || rollups > store.MaxRollupsRetentionDays:
		f.RollupsDaysError = "Enter a whole number of days from 7 to 7300 (twenty years)."
	case f.CallsDaysError == "" && rollups < calls:
		f.RollupsDaysError = "Keep usage at least as long as the calls it counts: " + strconv.Itoa(calls) + " days or more."
	}
	if f.CallsDaysError != "" || f.RollupsDaysError != "" {
		return h.renderPortalSettings(c, http.StatusUnprocessableEntity, &f)
	}
	ctx := c.Request().Context()
	by := currentUser(c).ID
	want := store.RetentionSettings{CallsDays: calls, RollupsDays: rollups}
	err = h.store.InTx(ctx, func(tx *store.Store) error {
		was, err := tx.RetentionSettings(ctx)
		if err != nil || was == want {
			return err
		}
		if err := tx.SetRetentionSettings(ctx, want, by); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: "settings.retention", TargetType: "portal_settings", Target: "Retention",
			Details: map[string]any{"calls_from": was.CallsDays, "calls_to": calls, "rollups_from": was.RollupsDays, "rollups_to": rollups},
		})
	})
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/settings", "success",
		"Calls are now kept "+strconv.Itoa(calls)+" days and usage "+strconv.Itoa(rollups)+" days; the next daily run applies it.")
}
