package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// defaultBodyLimit bounds the request body of every portal and /api/v1
// route; the gateway's paths have their own per-API limits. Without it a
// multipart form (even the sign-in form, before any session) was read up
// to 32 MiB into memory and the rest to temporary files.
const defaultBodyLimit = 1 << 20

// ownBodyLimit lists the routes that take API documents and bound their
// bodies themselves, above the default (bodyLimit on the portal's import
// routes, catalog.MaxSpecSize in the management API).
var ownBodyLimit = map[string]bool{
	"/catalog/import":              true,
	"/catalog/:slug/revisions":     true,
	"/api/v1/apis":                 true,
	"/api/v1/apis/:slug/revisions": true,
}

// limitBodies applies defaultBodyLimit: a declared length above it is
// refused before anything is read, and reading any other body stops at
// the limit. A handler that still returns the reader's error answers 413.
func (h *Handler) limitBodies(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody || ownBodyLimit[c.Path()] {
			return next(c)
		}
		if r.ContentLength > defaultBodyLimit {
			// Close rather than read the rest to keep the connection.
			c.Response().Header().Set("Connection", "close")
			return tooLarge(defaultBodyLimit, nil)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, defaultBodyLimit)
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
