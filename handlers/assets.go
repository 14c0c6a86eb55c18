package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/openapi"
	"github.com/portico/portico/static"
)

// asset serves an embedded static file by its content-hashed URL.
func (h *Handler) asset(c echo.Context) error {
	if !static.Serve(c.Response(), c.Request()) {
		return NotFound("This file")
	}
	return nil
}

// portalSpec serves the management API's OpenAPI document.
func (h *Handler) portalSpec(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", openapi.Portal)
}
