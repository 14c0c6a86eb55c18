package handlers

import "github.com/labstack/echo/v4"

// routes is the whole URL map of the portal.
func (h *Handler) routes(e *echo.Echo) {
	// Operations.
	e.GET("/healthz", h.healthz)
	e.GET("/readyz", h.readyz)
	e.GET("/openapi/portal.yaml", h.portalSpec)
	e.GET("/static/*", h.asset)

	// Pages.
	e.GET("/", h.home)
	e.GET("/sign-in", h.signInForm)
	e.POST("/sign-in", h.signIn)
	e.POST("/sign-out", h.signOut)
}
