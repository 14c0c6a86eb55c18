package handlers

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/store"
)

type healthBody struct {
	Status  string `json:"status"`
	Version string `json:"version"`
}

// healthz answers while the process is up, without touching the database.
func (h *Handler) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, healthBody{Status: "ok", Version: h.cfg.Version})
}

type readyBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// readyz answers 200 when the database is reachable and its schema is
// current, 503 otherwise, so a load balancer stops sending traffic here.
func (h *Handler) readyz(c echo.Context) error {
	ctx, cancel := ctxTimeout(c, h.readyTimeout)
	defer cancel()
	body := readyBody{Status: "ready", Checks: map[string]string{}}
	if err := h.db.PingContext(ctx); err != nil {
		h.log.Warn("readyz: database unreachable", "request_id", requestID(c), "err", err)
		body.Status = "unavailable"
		body.Checks["database"] = "unreachable"
		body.Checks["migrations"] = "unknown"
		return c.JSON(http.StatusServiceUnavailable, body)
	}
	body.Checks["database"] = "ok"
	current, known, err := store.SchemaVersion(ctx, h.db)
	switch {
	case err != nil:
		h.log.Warn("readyz: schema version", "request_id", requestID(c), "err", err)
		body.Status = "unavailable"
		body.Checks["migrations"] = "unknown"
	case current < known:
		body.Status = "unavailable"
		body.Checks["migrations"] = fmt.Sprintf("behind: version %d of %d", current, known)
	default:
		body.Checks["migrations"] = fmt.Sprintf("current: version %d", current)
	}
	if body.Status != "ready" {
		return c.JSON(http.StatusServiceUnavailable, body)
	}
	return c.JSON(http.StatusOK, body)
}
