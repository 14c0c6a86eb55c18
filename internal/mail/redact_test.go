package mail

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// linkMail is an invitation or reset mail whose link holds a fresh secret.
func linkMail(t *testing.T, to string, k token.Kind, path string) (Message, string) {
	t.Helper()
	secret, err := token.New(k)
	if err != nil {
		t.Fatal(err)
	}
	link := "https://portal.test/" + path + "/" + secret
	return Message{ToEmail: to, Subject: "Your link", Text: "Open:\n" + link + "\n", HTML: `<p><a href="` + link + `">Open</a></p>`}, secret
}

// Once a mail is delivered through SMTP, its stored bodies no longer hold
// the secrets of its links (the recipient has them; staff reading the
// outbox must not), while the recipient received them whole. Without SMTP
// the outbox is the delivery channel and keeps them.
func TestDeliveredMailsLoseTheirSecrets(t *testing.T) {
	t.Parallel()
	st := pgtest.Store(t)
	srv := newFakeSMTP(t, fakeSMTPOptions{StartTLS: true})
	inv, invSecret := linkMail(t, "ann@partner.test", token.KindInvite, "invitations")
	rst, rstSecret := linkMail(t, "bob@partner.test", token.KindPasswordReset, "reset-password")
	ids := []int64{enqueue(t, st, inv), enqueue(t, st, rst)}
	stop := startSender(t, NewSender(st, smtpTransport(t, srv, "smtp://"+srv.Addr), quiet, fastConfig()))
	for _, id := range ids {
		waitStatus(t, st, id, store.MailSent)
	}
	stop()
	for i, secret := range []string{invSecret, rstSecret} {
		row := mailRow(t, st, ids[i])
		if strings.Contains(row.TextBody+row.HTMLBody, secret[8:]) {
			t.Errorf("sent mail %d still holds its link's secret:\n%s\n%s", i, row.TextBody, row.HTMLBody)
		}
		if kind := secret[:8]; !strings.Contains(row.TextBody, kind+"[redacted]") || !strings.Contains(row.HTMLBody, kind+"[redacted]") {
			t.Errorf("sent mail %d does not show where the link was:\n%s\n%s", i, row.TextBody, row.HTMLBody)
		}
	}
	var received string
	for _, r := range srv.Received() {
		received += parseMail(t, r.Data).Parts["text/plain"]
	}
	if !strings.Contains(received, invSecret) || !strings.Contains(received, rstSecret) {
		t.Errorf("the recipients did not get their links whole:\n%s", received)
	}

	// The development transport: the outbox is where links are read.
	dev := pgtest.Store(t)
	m, secret := linkMail(t, "cy@partner.test", token.KindInvite, "invitations")
	id := enqueue(t, dev, m)
	stop = startSender(t, NewSender(dev, LogTransport{Log: quiet}, quiet, fastConfig()))
	row := waitStatus(t, dev, id, store.MailSent)
	stop()
	if !strings.Contains(row.TextBody, secret) {
		t.Errorf("without SMTP the outbox lost the link:\n%s", row.TextBody)
	}
}

// A mail given up for good loses its secrets too: nobody received the
// link, and staff must not use it either (the admin resends instead).
func TestGivenUpMailsLoseTheirSecrets(t *testing.T) {
	t.Parallel()
	st := pgtest.Store(t)
	m, secret := linkMail(t, "gone@partner.test", token.KindInvite, "invitations")
	id := enqueue(t, st, m)
	tr := transportFunc(func(context.Context, Message) error { return Permanent(errors.New("550 no such user")) })
	stop := startSender(t, NewSender(st, tr, quiet, fastConfig()))
	row := waitStatus(t, st, id, store.MailFailed)
	stop()
	if strings.Contains(row.TextBody+row.HTMLBody, secret) {
		t.Errorf("a given-up mail still holds its link's secret:\n%s", row.TextBody)
	}
}
