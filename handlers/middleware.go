package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/requestid"
	"github.com/portico/portico/internal/token"
)

const requestIDKey = "request_id"

// requestID gives every request an id: the caller's X-Request-Id when it is
// a short plain token (so a load balancer's id carries through), a new
// random one otherwise. It is echoed in the response header.
func (h *Handler) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !requestid.Valid(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func requestID(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
}

// accessLog writes one structured line per request. It logs the path, never
// the query string, headers or cookies: credentials must not reach logs.
func (h *Handler) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			// Let the error handler write the response now, so the status
			// logged is the one sent.
			c.Error(err)
		}
		r := c.Request()
		h.log.Info("request",
			"method", r.Method,
			"path", logPath(r.URL.Path),
			"status", c.Response().Status,
			"latency_ms", float64(time.Since(start).Microseconds())/1000,
			"bytes", c.Response().Size,
			"request_id", requestID(c),
			"remote_ip", c.RealIP(),
		)
		return nil
	}
}

// recoverPanic turns a panic into a logged 500 (page or JSON).
func (h *Handler) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				h.log.Error("panic", "request_id", requestID(c), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				err = &Error{Status: http.StatusInternalServerError, Err: fmt.Errorf("panic: %v", p)}
			}
		}()
		return next(c)
	}
}

// contentSecurityPolicy allows only this origin's scripts and styles: no
// inline script, no other origin, no framing. Pages may connect to this
// origin and to the gateway's, given as its argument ("" when the portal
// serves the gateway): Try it calls the gateway from the page.
func contentSecurityPolicy(gateway string) string {
	if gateway != "" {
		gateway = " " + gateway
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"font-src 'self'; connect-src 'self'" + gateway + "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

// secureHeaders sets the security headers of every response.
func (h *Handler) secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", h.csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		if h.cfg.SecureCookies {
			hd.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		return next(c)
	}
}

// crossOriginProtection refuses state-changing requests a browser sent from
// another origin (Go's CSRF protection, on top of SameSite cookies).
func (h *Handler) crossOriginProtection() echo.MiddlewareFunc {
	cop := http.NewCrossOriginProtection()
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := cop.Check(c.Request()); err != nil {
				return &Error{Status: http.StatusForbidden, Code: "cross_origin_request",
					Message: "This request came from another site and was refused. Reload the page and try again.", Err: err}
			}
			return next(c)
		}
	}
}

// logPath is the path as logged: a credential in it (an invitation link's
// token, say) is cut to its kind, so logs never hold a usable secret.
func logPath(p string) string { return token.RedactPath(p) }
