package handlers

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/auth"
	"github.com/portico/portico/internal/leak"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// LeakPath is where secret scanners send reports of leaked tokens.
const LeakPath = "/security/leaked-tokens"

// Reports through the portal's form per client address and hour: enough
// for a person cleaning up a leak, too few to probe strings with.
const leakFormPerHour = 20

// leakedTokens is POST /security/leaked-tokens: a secret scanner's report
// (GitHub's partner format: a JSON array of {token, type, url, source},
// signed with ECDSA P-256 over the body, key id and signature in the
// Github-Public-Key-Identifier and Github-Public-Key-Signature headers).
// The signature is checked before the body is parsed. Each credential
// found is revoked; the answer labels every string.
func (h *Handler) leakedTokens(c echo.Context) error {
	if h.cfg.LeakKeys == nil {
		return &Error{Status: http.StatusNotFound, Code: "not_enabled",
			Message: "Leaked-token reports are not enabled on this portal: its operator sets PORTICO_LEAK_KEYS to the scanners' public keys."}
	}
	r := c.Request()
	body, err := io.ReadAll(r.Body) // bounded by limitBodies (leak.MaxBody)
	if err != nil {
		return err
	}
	found, err := h.cfg.LeakKeys.Open(r.Header.Get("Github-Public-Key-Identifier"), r.Header.Get("Github-Public-Key-Signature"), body)
	switch {
	case errors.Is(err, leak.ErrSignature):
		return &Error{Status: http.StatusUnauthorized, Code: "invalid_signature", Err: err,
			Message: "The report's signature is missing or not valid: sign the body with ECDSA P-256 (SHA-256) with an accepted key and send its id and the base64 signature in Github-Public-Key-Identifier and Github-Public-Key-Signature."}
	case errors.Is(err, leak.ErrTooMany):
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: "too_many_tokens",
			Message: "A report may carry at most 1000 strings: send the rest in another report."}
	case err != nil:
		return &Error{Status: http.StatusBadRequest, Code: "invalid_request",
			Message: `The body must be a JSON array of {"token", "type", "url", "source"} objects.`}
	}
	verdicts, err := h.leaks.Report(r.Context(), "secret scanning", found)
	if err != nil {
		return err
	}
	h.mailer.Kick()
	return c.JSON(http.StatusOK, verdicts)
}

// reportTokenForm shows the form anyone can report a found token with.
func (h *Handler) reportTokenForm(c echo.Context) error {
	return h.render(c, http.StatusOK, views.ReportToken(views.ReportTokenPage{Page: h.page(c, "Report a leaked token")}))
}

// reportToken takes a report from the form, signed in or not, and answers
// the same whether or not the string was a credential (or one that still
// worked). Reports are counted per client address.
func (h *Handler) reportToken(c echo.Context) error {
	m := views.ReportTokenPage{Page: h.page(c, "Report a leaked token"), Where: strings.TrimSpace(c.FormValue("where"))}
	raw := strings.TrimSpace(c.FormValue("token"))
	switch {
	case raw == "":
		m.Error = "Paste the token you found."
	case utf8.RuneCountInString(raw) > 300:
		m.Error = "That is longer than any Portico token: paste only the string starting with ptc_."
	case utf8.RuneCountInString(m.Where) > 500:
		m.Error = "Say where you found it in at most 500 characters."
	}
	if m.Error != "" {
		return h.render(c, http.StatusUnprocessableEntity, views.ReportToken(m))
	}
	ctx := c.Request().Context()
	now := time.Now()
	n, since, err := h.store.CountAttempt(ctx, store.CounterLeakReportIP, auth.AddressKey(c.RealIP()), time.Hour, now)
	if err != nil {
		return err
	}
	if n > leakFormPerHour {
		setRetryAfter(c, max(since.Add(time.Hour).Sub(now), time.Second))
		m.Error = "Too many reports from your network in the last hour; please try again later."
		return h.render(c, http.StatusTooManyRequests, views.ReportToken(m))
	}
	_, err = h.leaks.Report(ctx, "someone using the portal's report form", []leak.Found{{Token: raw, URL: m.Where, Source: "report form"}})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	h.mailer.Kick()
	m.Sent, m.Where = true, ""
	return h.render(c, http.StatusOK, views.ReportToken(m))
}
