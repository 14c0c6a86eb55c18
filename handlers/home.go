package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/views"
)

// home renders the landing page.
func (h *Handler) home(c echo.Context) error {
	return h.render(c, http.StatusOK, views.Home(views.HomePage{Page: h.page(c, "")}))
}
