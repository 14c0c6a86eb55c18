package handlers

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/views"
)

const mailsPerPage = 20

// outbox lists queued and sent mails for platform admins: in development it
// is where invitation links are read.
func (h *Handler) outbox(c echo.Context) error {
	if err := h.authorize(c, access.ViewOutbox, 0); err != nil {
		return err
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	mails, total, err := h.store.ListMails(c.Request().Context(), mailsPerPage, (page-1)*mailsPerPage)
	if err != nil {
		return err
	}
	m := views.OutboxPage{Page: h.page(c, "Outbox"), Transport: h.cfg.MailTransport}
	for _, r := range mails {
		row := views.OutboxRow{ID: r.ID, To: r.ToEmail, Subject: r.Subject, Status: r.Status, Attempts: r.Attempts,
			Created: formatTime(r.CreatedAt), Text: r.TextBody}
		if r.LastError != nil {
			row.LastError = *r.LastError
		}
		m.Mails = append(m.Mails, row)
	}
	m.Pager = pagerFor("/outbox", url.Values{}, page, mailsPerPage, len(mails), total)
	return h.render(c, http.StatusOK, views.Outbox(m))
}
