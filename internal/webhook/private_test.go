package webhook_test

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"testing"

	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/webhook"
)

// TestCheckURLRefusesPrivateAddresses: loopback, private, link-local and
// metadata addresses, and names resolving to them, are refused unless
// private addresses are allowed; a public address is accepted either way.
func TestCheckURLRefusesPrivateAddresses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		url     string
		private bool
	}{
		{"https://127.0.0.1/hooks", true},
		{"https://[::1]:8443/hooks", true},
		{"https://10.20.30.40/hooks", true},
		{"https://192.168.1.10/hooks", true},
		{"https://169.254.169.254/latest/meta-data/", true},
		{"https://[fd00::1]/hooks", true},
		{"https://localhost:8443/hooks", true},
		{"https://93.184.216.34/hooks", false},
	} {
		t.Run(c.url, func(t *testing.T) {
			t.Parallel()
			_, err := webhook.CheckURL(context.Background(), c.url, false)
			var ue *webhook.URLError
			if c.private && (!errors.As(err, &ue) || ue.Reason != "That address is inside the portal's own network (loopback, private or link-local), where webhooks are not sent.") {
				t.Errorf("not allowing private addresses: %v, want the refusal", err)
			}
			if !c.private && err != nil {
				t.Errorf("not allowing private addresses: %v, want it accepted", err)
			}
			if got, err := webhook.CheckURL(context.Background(), c.url, true); err != nil || got != c.url {
				t.Errorf("allowing private addresses: %q, %v", got, err)
			}
		})
	}
}

// TestPrivateAddressRefusedOnTheWire: an endpoint stored while private
// addresses were allowed is still refused by a sender whose client does
// not allow them (the address is checked on each connection, so a name
// that resolves elsewhere later gains nothing); the attempt is logged with
// the reason and the receiver never hears of it.
func TestPrivateAddressRefusedOnTheWire(t *testing.T) {
	t.Parallel()
	h := newHub(t)
	w := newWorld(t, h.srv)
	harbor := w.partnerID(t, "harbor-logistics")
	ep, rc := w.endpoint(t, h, "admin@harbor.test", "/inside", []string{webhook.TeamChanged}, 0)
	roots := x509.NewCertPool()
	roots.AddCert(h.srv.Certificate())
	sender := func(allowPrivate bool) *webhook.Sender {
		return webhook.NewSender(w.store, w.box, webhook.NewClient(allowPrivate, roots), mail.NewOutbox(w.store), "https://portal.test", slog.New(slog.DiscardHandler))
	}
	w.emit(t, harbor, "Night shift")
	if sent, err := sender(false).DeliverNext(context.Background()); err != nil || !sent {
		t.Fatalf("sent %v, %v", sent, err)
	}
	log := w.attempts(t, ep.Endpoint.ID)
	if len(log) != 1 || log[0].Status != nil || log[0].Error != "refused: the address is inside the portal's own network" || log[0].State != "pending" {
		t.Fatalf("log %+v", log)
	}
	if calls, _ := rc.stats(); calls != 0 {
		t.Fatalf("the receiver was reached %d times", calls)
	}
	// The same client allowing private addresses reaches it: the refusal
	// was the address, not TLS.
	w.clock.advance(webhook.Window / 2)
	s := sender(true)
	s.SetClock(w.clock.now)
	if sent, err := s.DeliverNext(context.Background()); err != nil || !sent {
		t.Fatalf("sent %v, %v", sent, err)
	}
	if len(rc.got()) != 1 {
		t.Errorf("allowed, the receiver accepted %d", len(rc.got()))
	}
}
