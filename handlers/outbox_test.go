package handlers_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestOutboxPage(t *testing.T) {
	t.Parallel()
	p := newPortal(t, false)
	admin := signedInAs(t, p, "admin@portico.test")
	if pg := admin.get("/outbox"); pg.doc.Find("[data-testid=no-mails]").Length() != 1 {
		t.Errorf("empty outbox: no empty state (status %d)", pg.status)
	}
	signedInAs(t, p, "admin@harbor.test").post("/members/invitations", url.Values{"email": {"mail@harbor.test"}, "role": {"developer"}})
	pg := admin.get("/outbox")
	mail := pg.doc.Find("[data-testid=mail][data-to='mail@harbor.test']")
	if mail.Length() != 1 {
		t.Fatalf("the invitation mail is not on the Outbox page (status %d)", pg.status)
	}
	if body := mail.Find("[data-testid=mail-text]").Text(); !strings.Contains(body, "http://portal.test/invitations/ptc_inv_") {
		t.Errorf("mail text lacks the invitation link:\n%s", body)
	}
	if !strings.Contains(text(pg, "[data-testid=outbox-secrets]"), "No SMTP relay is configured") {
		t.Error("without SMTP the page does not say it is where links are read")
	}
	for _, who := range []string{"am@portico.test", "admin@harbor.test"} {
		if res := signedInAs(t, p, who).get("/outbox"); res.status != http.StatusForbidden {
			t.Errorf("%s GET /outbox = %d, want 403", who, res.status)
		}
	}
}

// relay stands in for an SMTP relay: it accepts every mail.
type relay struct {
	mu   sync.Mutex
	sent []mail.Message
}

func (r *relay) Send(_ context.Context, m mail.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

// With SMTP configured, the Outbox page shows no invitation, reset or
// email confirmation link (they belong to the recipients), and once the
// sender delivered a mail its row holds none either; the page says which
// way it works.
func TestOutboxHidesLinksWhenMailIsDelivered(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.MailDelivered = true
	srv := httptest.NewServer(handlers.New(cfg, handlers.Deps{Log: slog.New(slog.DiscardHandler), DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}}))
	t.Cleanup(srv.Close)
	p := &portal{srv: srv, store: st}
	admin := signedInAs(t, p, "admin@portico.test")
	signedInAs(t, p, "admin@harbor.test").post("/members/invitations", url.Values{"email": {"mail@harbor.test"}, "role": {"developer"}})
	p.browser(t).post("/forgot-password", url.Values{"email": {"dev@harbor.test"}})
	signedInAs(t, p, "dev@crane.test").post("/account/email", url.Values{"email": {"moved@crane.test"}})

	check := func(when string) {
		t.Helper()
		pg := admin.get("/outbox")
		if !strings.Contains(text(pg, "[data-testid=outbox-secrets]"), "delivered by SMTP") {
			t.Errorf("%s: the page does not say links are hidden", when)
		}
		body := pg.doc.Find("[data-testid=mail-text]").Text()
		for _, kind := range []string{"ptc_inv_", "ptc_rst_", "ptc_eml_"} {
			if !strings.Contains(body, kind+"[redacted]") {
				t.Errorf("%s: no redacted %s link on the page:\n%s", when, kind, body)
			}
		}
		if link := regexp.MustCompile(`ptc_(inv|rst|eml)_[0-9A-Za-z]`).FindString(body); link != "" {
			t.Errorf("%s: the page shows a link's secret %q…", when, link)
		}
	}
	check("queued")

	r := &relay{}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		mail.NewSender(st, r, slog.New(slog.DiscardHandler), mail.SenderConfig{PollInterval: 10 * time.Millisecond}).Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var pending int
		if err := db.Get(&pending, `SELECT count(*) FROM outbox WHERE status <> 'sent'`); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sender did not deliver the mails")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	<-done
	check("sent")
	var leaked int
	if err := db.Get(&leaked, `SELECT count(*) FROM outbox WHERE text_body || html_body ~ 'ptc_(inv|rst|eml)_[0-9A-Za-z]'`); err != nil {
		t.Fatal(err)
	}
	if leaked != 0 {
		t.Errorf("%d sent outbox rows still hold a link's secret", leaked)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.sent) != 3 || !strings.Contains(r.sent[0].Text+r.sent[1].Text+r.sent[2].Text, "/invitations/ptc_inv_") {
		t.Errorf("the relay did not receive the links: %d mails", len(r.sent))
	}
}
