package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/views"
)

// Error is the error a handler returns to answer with a status, a code
// and a message safe to show: apierr's, shared with the management API.
type Error = apierr.Error

// NotFound is the error for a resource that does not exist or that the
// viewer may not see: both answer the same, so ids do not leak.
func NotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " was not found."}
}

// BadRequest is the error for input the user can correct.
func BadRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

var statusCodes = map[int]struct{ code, heading, message string }{
	http.StatusBadRequest:            {"bad_request", "Bad request", "The request could not be understood."},
	http.StatusUnauthorized:          {"unauthorized", "Sign-in required", "Please sign in to continue."},
	http.StatusForbidden:             {"forbidden", "Not allowed", "You are not allowed to do this."},
	http.StatusNotFound:              {"not_found", "Page not found", "There is nothing at this address. It may have moved, or the link may be mistyped."},
	http.StatusMethodNotAllowed:      {"method_not_allowed", "Method not allowed", "This address does not accept that kind of request."},
	http.StatusRequestEntityTooLarge: {"too_large", "Request too large", "The request body is larger than this endpoint accepts."},
	http.StatusUnsupportedMediaType:  {"unsupported_media_type", "Unsupported media type", "The request body's content type is not accepted here."},
	http.StatusTooManyRequests:       {"rate_limited", "Too many requests", "Too many requests: please wait a moment and try again."},
	http.StatusInternalServerError:   {"internal", "Something went wrong", "Something went wrong on our side. It has been logged; please try again, and contact support with the request ID if it persists."},
	http.StatusServiceUnavailable:    {"unavailable", "Temporarily unavailable", "The service is temporarily unavailable. Please try again shortly."},
}

// classify turns any error a handler returned into the Error to answer with.
func classify(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		out := *e
		if out.Code == "" || out.Message == "" {
			d := describe(out.Status)
			out.Code = or(out.Code, d.code)
			out.Message = or(out.Message, d.message)
		}
		return &out
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		d := describe(he.Code)
		return &Error{Status: he.Code, Code: d.code, Message: d.message, Err: he.Internal}
	}
	status := http.StatusInternalServerError
	if store.Unavailable(err) {
		// The database is down or restarting: not a bug, try again.
		status = http.StatusServiceUnavailable
	}
	d := describe(status)
	return &Error{Status: status, Code: d.code, Message: d.message, Err: err}
}

func describe(status int) struct{ code, heading, message string } {
	if d, ok := statusCodes[status]; ok {
		return d
	}
	text := http.StatusText(status)
	if status >= 500 {
		return statusCodes[http.StatusInternalServerError]
	}
	return struct{ code, heading, message string }{strings.ToLower(strings.ReplaceAll(text, " ", "_")), text, text + "."}
}

// wantsJSON decides between the JSON error and the error page: machine
// surfaces always get JSON; elsewhere the Accept header decides.
func wantsJSON(r *http.Request) bool {
	p := r.URL.Path
	for _, prefix := range []string{"/api/", "/sandbox/", "/live/", "/oauth/", "/healthz", "/readyz", LeakPath} {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// logErr is an error as logged: errors quote what was asked for (an API
// slug, say), which may be a credential pasted in the wrong place.
func logErr(err error) string { return token.RedactPath(err.Error()) }

// handleError is echo's HTTPErrorHandler: the one place errors become
// responses, and where they are logged.
func (h *Handler) handleError(err error, c echo.Context) {
	e := classify(err)
	r := c.Request()
	rid := requestID(c)
	if e.Status >= 500 {
		h.log.Error("request failed", "method", r.Method, "path", logPath(r.URL.Path), "status", e.Status, "request_id", rid, "err", logErr(err))
	} else if e.Err != nil {
		h.log.Info("request refused", "method", r.Method, "path", logPath(r.URL.Path), "status", e.Status, "request_id", rid, "err", logErr(e.Err))
	}
	if c.Response().Committed {
		return
	}
	if r.Method == http.MethodHead {
		_ = c.NoContent(e.Status)
		return
	}
	if wantsJSON(r) {
		apierr.Write(c.Response(), e.Status, apierr.Detail{Code: e.Code, Message: e.Message, RequestID: rid})
		return
	}
	page := h.page(c, describe(e.Status).heading)
	page.RequestID = rid
	if rerr := h.render(c, e.Status, views.Error(views.ErrorPage{Page: page, Status: e.Status, Heading: describe(e.Status).heading, Message: e.Message})); rerr != nil {
		h.log.Error("render error page", "request_id", rid, "err", rerr)
		_ = c.String(e.Status, e.Message+"\nRequest ID: "+rid+"\n")
	}
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
