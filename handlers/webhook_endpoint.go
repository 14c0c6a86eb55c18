package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook/endpoints"
	"github.com/portico/portico/views"
)

// webhookLogPage is how many attempts a page of the delivery log shows.
const webhookLogPage = 25

// webhookEndpoint returns the endpoint of the URL for the signed-in
// user, who must be admitted to the webhook pages; one they may not
// manage is a 404.
func (h *Handler) webhookEndpoint(c echo.Context) (access.Actor, *store.WebhookEndpoint, error) {
	a, err := h.webhookActor(c)
	if err != nil {
		return a, nil, err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return a, nil, err
	}
	e, err := h.webhooks.Get(c.Request().Context(), a, id)
	if err != nil {
		return a, nil, webhookError(err)
	}
	return a, e, nil
}

// webhookPage shows an endpoint: its settings, status, actions and one
// page of its delivery log, newest first.
func (h *Handler) webhookPage(c echo.Context) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	var after *store.Key
	if raw := c.QueryParam("after"); raw != "" {
		key, ok := store.WebhookLog.Parse(raw)
		if !ok {
			return BadRequest(brokenLink("deliveries", "the endpoint's page"))
		}
		after = key
	}
	ctx := c.Request().Context()
	queue, err := h.store.WebhookQueue(ctx, e.ID)
	if err != nil {
		return err
	}
	rows, more, err := h.store.WebhookLogPage(ctx, e.ID, endpoints.LogBook(a, e), after, webhookLogPage)
	if err != nil {
		return err
	}
	m := views.WebhookPage{Page: h.page(c, e.URL), Endpoint: webhookRow(e, queue, a), Types: e.EventTypes, Enabled: e.Enabled,
		Created: formatTime(e.CreatedAt), Staff: e.PartnerID == nil}
	if !e.Enabled {
		m.DisabledReason = strings.TrimSpace(e.DisabledReason)
	}
	if e.PreviousSecretUntil != nil && e.PreviousSecretUntil.After(time.Now()) {
		m.GraceUntil = formatTime(*e.PreviousSecretUntil)
	}
	for _, r := range rows {
		m.Log = append(m.Log, views.WebhookLogRow{DeliveryID: r.DeliveryID, At: formatTime(r.At), Type: r.Type, MsgID: r.MsgID,
			Result: attemptResult(r.Status, r.Error), OK: r.Status != nil && *r.Status >= 200 && *r.Status < 300,
			Duration: strconv.Itoa(r.DurationMS) + " ms", Manual: r.Manual, Body: prettyJSON(r.Body), Response: r.Response})
	}
	m.First, m.Older = pageLinks(store.WebhookLog, after, rows, more, views.WebhookPath(e.ID, ""))
	return h.render(c, http.StatusOK, views.WebhookEndpoint(m))
}

// attemptResult says what an attempt got: the answer's status, or why
// none came.
func attemptResult(status *int, errText string) string {
	if status != nil {
		return strconv.Itoa(*status) + " " + http.StatusText(*status)
	}
	if errText == "" {
		return "no answer"
	}
	return errText
}

// prettyJSON indents a delivery's body for reading; a body that is not
// JSON is shown as it is.
func prettyJSON(body string) string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(body), "", "  "); err != nil {
		return body
	}
	return buf.String()
}

// sendWebhookTest sends a test event to the endpoint at once (the answer
// waits for the receiver, at most its timeout) and says what came of it.
func (h *Handler) sendWebhookTest(c echo.Context) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	out, err := h.webhooks.SendTest(c.Request().Context(), a, e.ID)
	return h.webhookOutcome(c, e.ID, "The test event", out, err)
}

// resendWebhook sends one delivery of the endpoint again, with its
// webhook-id, and says what came of it.
func (h *Handler) resendWebhook(c echo.Context) error {
	a, e, err := h.webhookEndpoint(c)
	if err != nil {
		return err
	}
	delivery, err := pathID(c, "delivery")
	if err != nil {
		return err
	}
	out, err := h.webhooks.Resend(c.Request().Context(), a, e.ID, delivery)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This delivery")
	}
	return h.webhookOutcome(c, e.ID, "The delivery sent again", out, err)
}

// webhookOutcome returns to the endpoint's page saying what a send found:
// the status, the time it took and the answer's first bytes, or why it
// got none.
func (h *Handler) webhookOutcome(c echo.Context, id int64, what string, out *store.WebhookOutcome, err error) error {
	back := views.WebhookPath(id, "")
	switch {
	case errors.Is(err, endpoints.ErrDisabled):
		return h.redirectWithFlash(c, back, views.FlashError, "Nothing was sent: this endpoint is disabled. Enable it first.")
	case errors.Is(err, endpoints.ErrTooManySends):
		return h.redirectWithFlash(c, back, views.FlashError, "Nothing was sent: that is "+strconv.Itoa(endpoints.MaxManualSends)+" sends by hand to this endpoint within a minute already. Wait a minute and try again.")
	case errors.Is(err, store.ErrDeliveryPending):
		return h.redirectWithFlash(c, back, views.FlashInfo, "Nothing was sent again: that delivery is still queued and goes out on its own, retried until it is answered.")
	case errors.Is(err, store.ErrNotFound):
		// A worker claimed the delivery first: it went out all the same.
		return h.redirectWithFlash(c, back, views.FlashInfo, what+" was picked up by the sender meanwhile: its outcome is in the log below.")
	case err != nil:
		return webhookError(err)
	}
	took := strconv.FormatInt(out.Duration.Milliseconds(), 10) + " ms"
	if out.Status == nil {
		return h.redirectWithFlash(c, back, views.FlashError, what+" got no answer after "+took+": "+out.Error+".")
	}
	msg := what + " was answered " + attemptResult(out.Status, "") + " in " + took + "."
	if first := firstBytes(out.Response, 200); first != "" {
		msg += " It began: " + first
	}
	kind := views.FlashSuccess
	if *out.Status < 200 || *out.Status >= 300 {
		kind = views.FlashError
	}
	return h.redirectWithFlash(c, back, kind, msg)
}

// firstBytes is at most n characters of s on one line, marked when cut.
func firstBytes(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}
