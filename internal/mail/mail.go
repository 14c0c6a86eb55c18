// Package mail sends Portico's email through a transactional outbox.
//
// A mail is queued with Outbox.Enqueue in the same transaction as the change
// that causes it (an invitation, say): it exists exactly when the change
// committed, and never when it rolled back. A Sender running in the
// background claims due mails and delivers them through a Transport: SMTP
// when SMTP_URL is set, otherwise the log (the mails stay readable on the
// staff Outbox page).
//
// Delivery is at least once. A mail is never lost: it stays in the outbox
// until delivered or given up on (status 'failed', shown on the Outbox page).
// A mail is sent twice only when a sender dies, or loses the database, in
// the moment between the SMTP server accepting the mail and the outbox
// recording it as sent; the resend carries the same Message-ID, so the
// recipient's mail system can recognise it. SMTP offers no way to close that
// window.
//
// Mail bodies carry secrets (invitation links): nothing here logs them.
package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"

	"github.com/portico/portico/internal/store"
)

// Message is one mail to one recipient: plain text, plus optional simple
// HTML shown by mail clients that prefer it.
type Message struct {
	ToEmail string
	ToName  string
	Subject string
	Text    string
	HTML    string
	// Key identifies the mail across delivery attempts. The Sender sets it
	// from the outbox row; the SMTP transport makes the Message-ID from it,
	// so a resend is recognisably the same mail. Callers leave it empty.
	Key string
}

// Validate checks a message can be sent: a single valid recipient address,
// a subject, a text body, and no line breaks in header fields.
func (m Message) Validate() error {
	addr, err := netmail.ParseAddress(m.ToEmail)
	if err != nil || addr.Address != m.ToEmail {
		return fmt.Errorf("mail: invalid recipient address %q", m.ToEmail)
	}
	if strings.TrimSpace(m.Subject) == "" {
		return errors.New("mail: empty subject")
	}
	if strings.TrimSpace(m.Text) == "" {
		return errors.New("mail: empty text body")
	}
	if strings.ContainsAny(m.ToName+m.Subject, "\r\n") {
		return errors.New("mail: line break in the recipient name or subject")
	}
	return nil
}

// Outbox queues mails and lists them for the staff Outbox page.
type Outbox struct {
	store *store.Store
}

// NewOutbox returns an outbox over the store.
func NewOutbox(st *store.Store) *Outbox { return &Outbox{store: st} }

// Enqueue validates m and queues it through tx, the Store of the caller's
// InTx callback, so the mail is queued exactly when that transaction
// commits. A nil tx queues it at once, outside any transaction. Wake the
// Sender (Sender.Kick) after the commit to send it without waiting for the
// next poll.
func (o *Outbox) Enqueue(ctx context.Context, tx *store.Store, m Message) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if tx == nil {
		if o == nil || o.store == nil {
			return errors.New("mail: enqueue without a store")
		}
		tx = o.store
	}
	_, err := tx.EnqueueMail(ctx, store.NewMail{
		ToEmail:  m.ToEmail,
		ToName:   m.ToName,
		Subject:  m.Subject,
		TextBody: m.Text,
		HTMLBody: m.HTML,
	})
	return err
}

// List returns a page of the outbox, newest first, and the number of mails.
func (o *Outbox) List(ctx context.Context, limit, offset int) ([]store.OutboxMail, int, error) {
	return o.store.ListMails(ctx, limit, offset)
}

// Mail returns one mail of the outbox (store.ErrNotFound if there is none).
func (o *Outbox) Mail(ctx context.Context, id int64) (*store.OutboxMail, error) {
	return o.store.Mail(ctx, id)
}

// messageOf turns an outbox row back into the message to send.
func messageOf(m store.OutboxMail) Message {
	return Message{
		ToEmail: m.ToEmail,
		ToName:  m.ToName,
		Subject: m.Subject,
		Text:    m.TextBody,
		HTML:    m.HTMLBody,
		Key:     fmt.Sprintf("%d.%d", m.ID, m.CreatedAt.UnixMicro()),
	}
}
