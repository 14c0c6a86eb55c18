package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/catalog"
)

// defaultBodyLimit bounds the request body of every portal and /api/v1
// route; the gateway's paths have their own per-API limits. Without it a
// multipart form (even the sign-in form, before any session) was read up
// to 32 MiB into memory and the rest to temporary files.
const defaultBodyLimit = 1 << 20

// ownBodyLimit lists the routes that take API documents, with their larger
// limits: the portal's import form (a multipart upload of up to
// catalog.MaxSpecSize plus its fields) and the management API's raw
// document, which reads it through catalog.MaxSpecSize itself and says so
// in its own words; the margin lets that message be the one seen.
var ownBodyLimit = map[string]int64{
	"/catalog/import":              importBodyLimit,
	"/catalog/:slug/revisions":     importBodyLimit,
	"/api/v1/apis":                 catalog.MaxSpecSize + 64<<10,
	"/api/v1/apis/:slug/revisions": catalog.MaxSpecSize + 64<<10,
}

// importBodyLimit bounds the portal's import forms.
const importBodyLimit = 3 << 20

// limitBodies bounds every body (defaultBodyLimit, or the route's
// ownBodyLimit): a declared length above the default is refused before
// anything is read, and reading any body stops at its limit, whoever reads it
// (checkInput parses forms before authentication). A handler that still
// returns the reader's error answers 413.
func (h *Handler) limitBodies(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		limit := int64(defaultBodyLimit)
		own, ok := ownBodyLimit[c.Path()]
		if ok {
			// Read up to the limit: the import handlers say in their
			// own words that a document is too large.
			limit = own
		} else if r.ContentLength > limit {
			// Close rather than read the rest to keep the connection.
			c.Response().Header().Set("Connection", "close")
			return tooLarge(limit, nil)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		err := next(c)
		var mb *http.MaxBytesError
		if err != nil && errors.As(err, &mb) {
			return tooLarge(mb.Limit, err)
		}
		return err
	}
}

func tooLarge(limit int64, err error) error {
	return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: "The request body is larger than this endpoint accepts (" + strconv.FormatInt(limit>>10, 10) + " KiB).", Err: err}
}
