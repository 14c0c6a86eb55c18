package mail

import (
	"context"
	"errors"
	"log/slog"
)

// Transport delivers one message. An error marked with Permanent is not
// retried; any other error is retried with back-off.
type Transport interface {
	Send(ctx context.Context, m Message) error
}

// NewTransport returns the transport for the deployment: SMTP through
// smtpURL when it is set (see NewSMTPTransport), otherwise a LogTransport.
func NewTransport(smtpURL, from string, log *slog.Logger) (Transport, error) {
	if smtpURL == "" {
		return LogTransport{Log: log}, nil
	}
	return NewSMTPTransport(smtpURL, from)
}

// LogTransport is the development transport: it delivers nothing and logs
// that the mail can be read on the staff Outbox page. It never logs bodies.
type LogTransport struct {
	Log *slog.Logger
}

// Send logs the mail's recipient and subject.
func (t LogTransport) Send(ctx context.Context, m Message) error {
	log := t.Log
	if log == nil {
		log = slog.Default()
	}
	log.InfoContext(ctx, "mail queued for the Outbox page (no SMTP_URL: not delivered)",
		"to", m.ToEmail, "subject", m.Subject)
	return nil
}

func (LogTransport) String() string { return "log (Outbox page)" }

// OutboxOnly reports whether t delivers nothing, so that the Outbox page
// is where mails are read: their links must then stay readable there.
// Every other transport delivers, and a delivered mail's secrets are
// redacted from the outbox.
func OutboxOnly(t Transport) bool {
	switch t.(type) {
	case LogTransport, *LogTransport:
		return true
	}
	return false
}

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the Sender gives the mail up at once
// (status 'failed') instead of retrying. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}
