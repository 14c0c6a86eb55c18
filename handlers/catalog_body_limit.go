package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/views"
)

// setAPIBodyLimit sets the largest request body, in KiB, the gateway
// reads for an API's calls.
func (h *Handler) setAPIBodyLimit(c echo.Context) error {
	api, err := h.apiForStaff(c)
	if err != nil {
		return err
	}
	raw := strings.TrimSpace(c.FormValue("max_body_kib"))
	kib, perr := strconv.ParseInt(raw, 10, 64)
	if perr != nil || kib < 0 || kib > 1<<40 {
		kib = -1 // refused below with the range in the message
	}
	_, err = h.catalog.SetBodyLimit(c.Request().Context(), api.ID, kib<<10)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return h.renderRevisions(c, http.StatusUnprocessableEntity, api, views.RevisionsPage{BodyLimitError: in.Message, BodyLimitInput: raw})
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/catalog/"+api.Slug+"/revisions", "success",
		"Calls to "+api.Name+" may now send bodies of up to "+views.Bytes(kib<<10)+"; larger ones are refused with 413.")
}
