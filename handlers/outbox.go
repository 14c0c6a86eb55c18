package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/views"
)

const mailsPerPage = 20

// outbox lists queued and sent mails for platform admins. Without SMTP it
// is where invitation and reset links are read; with SMTP their secrets
// are hidden, since they belong to the mails' recipients.
func (h *Handler) outbox(c echo.Context) error {
	if err := h.authorize(c, access.ViewOutbox, 0); err != nil {
		return err
	}
	q, err := pageQuery(c, store.OutboxList, mailsPerPage, brokenLink("mails", "Outbox from the menu"))
	if err != nil {
		return err
	}
	mails, more, err := h.store.MailsPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	m := views.OutboxPage{Page: h.page(c, "Outbox"), Transport: h.cfg.MailTransport, Delivered: h.cfg.MailDelivered}
	for _, r := range mails {
		text := r.TextBody
		if h.cfg.MailDelivered {
			// Mails reach their recipients: their links are theirs alone,
			// not yet redacted in a mail still queued.
			text = token.RedactPath(text)
		}
		row := views.OutboxRow{ID: r.ID, To: r.ToEmail, Subject: r.Subject, Status: r.Status, Attempts: r.Attempts,
			Created: formatTime(r.CreatedAt), Text: text}
		if r.LastError != nil {
			row.LastError = *r.LastError
		}
		m.Mails = append(m.Mails, row)
	}
	m.Pager.Label = "Outbox pages"
	m.Pager.FirstHref, m.Pager.NextHref = pageLinks(store.OutboxList, q.After, mails, more, "/outbox")
	return h.render(c, http.StatusOK, views.Outbox(m))
}
