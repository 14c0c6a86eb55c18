// Package handlers is Portico's HTTP surface for people: the portal pages,
// plus the operational endpoints. Handlers parse, ask the policy, call the
// domain and render; errors they return become responses in handleError.
package handlers

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/a-h/templ"
	"github.com/jmoiron/sqlx"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// Config is what the handlers need to know of the deployment.
type Config struct {
	// Version is shown in the footer and /healthz.
	Version string
	// SecureCookies is true when the portal is served over https.
	SecureCookies bool
}

// Handler holds the dependencies of every handler.
type Handler struct {
	cfg   Config
	log   *slog.Logger
	db    *sqlx.DB
	store *store.Store
	// ready reports whether the database answers and the schema is current;
	// a field so tests of the handlers can use it as it is.
	readyTimeout time.Duration
}

// New builds the portal's echo instance: middleware, every route and the
// error handler.
func New(cfg Config, log *slog.Logger, db *sqlx.DB) *echo.Echo {
	h := &Handler{cfg: cfg, log: log, db: db, store: store.New(db), readyTimeout: 2 * time.Second}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	e.Use(h.requestID, h.accessLog, h.recoverPanic, h.secureHeaders, h.crossOriginProtection())
	h.routes(e)
	return e
}

// render writes a templ component through a buffer, so a failed render
// becomes a clean error response rather than half a page.
func (h *Handler) render(c echo.Context, status int, comp templ.Component) error {
	var buf bytes.Buffer
	if err := comp.Render(c.Request().Context(), &buf); err != nil {
		return fmt.Errorf("render page: %w", err)
	}
	return c.HTMLBlob(status, buf.Bytes())
}

// page builds the frame's model for the current request.
func (h *Handler) page(c echo.Context, title string) views.Page {
	return views.Page{
		Title:     title,
		Nav:       h.nav(c),
		Version:   h.cfg.Version,
		RequestID: requestID(c),
	}
}

// nav lists the main navigation for the viewer, marking the current page.
func (h *Handler) nav(c echo.Context) []views.NavItem {
	items := []views.NavItem{
		{Label: "Home", Href: "/"},
	}
	path := c.Request().URL.Path
	for i := range items {
		items[i].Current = items[i].Href == path
	}
	return items
}

// ctxTimeout bounds work a handler does on behalf of one request.
func ctxTimeout(c echo.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request().Context(), d)
}
