package webhook_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/webhook"
)

// drainWith runs each sender on its own goroutine until nothing is
// pending (or, with done, until done says so): a sender finding nothing
// due looks again shortly, as the rest may be held by the others or wait
// behind what they hold.
func (w *world) drainWith(t testing.TB, senders []*webhook.Sender, done func() bool) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, len(senders))
	for _, s := range senders {
		wg.Go(func() {
			for {
				sent, err := s.DeliverNext(ctx)
				if err != nil {
					errs <- err
					return
				}
				if sent {
					continue
				}
				if done != nil {
					if done() {
						return
					}
					time.Sleep(200 * time.Microsecond)
					continue
				}
				var n int
				if err := w.store.DB().Get(&n, `SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'`); err != nil {
					errs <- err
					return
				}
				if n == 0 {
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// BenchmarkDeliveries measures deliveries per second to receivers on a
// loopback TLS server that verify each signature: b.N deliveries queued
// (not timed), then sent.
func BenchmarkDeliveries(b *testing.B) {
	for _, c := range []struct{ endpoints, senders int }{{1, 1}, {8, 4}} {
		b.Run(fmt.Sprintf("endpoints=%d/senders=%d", c.endpoints, c.senders), func(b *testing.B) {
			h := newHub(b)
			w := newWorld(b, h.srv)
			harbor := w.partnerID(b, "harbor-logistics")
			var rcs []*receiver
			for i := range c.endpoints {
				_, rc := w.endpoint(b, h, "admin@harbor.test", fmt.Sprintf("/bench/%d", i), []string{webhook.TeamChanged}, 0)
				rcs = append(rcs, rc)
			}
			// Each event goes to every endpoint: b.N deliveries in all.
			events := max(b.N/c.endpoints, 1)
			err := w.store.InTx(context.Background(), func(tx *store.Store) error {
				for i := range events {
					if err := teamEvent(context.Background(), tx, harbor, fmt.Sprintf("Team %d", i)); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			// The planner's statistics know of the queue, as autovacuum's
			// would within a minute of a backlog building up.
			if _, err := w.store.DB().Exec(`ANALYZE webhook_deliveries`); err != nil {
				b.Fatal(err)
			}
			var senders []*webhook.Sender
			for range c.senders {
				client := h.srv.Client()
				senders = append(senders, webhook.NewSender(w.store, w.box, client, mail.NewOutbox(w.store), "https://portal.test", slog.New(slog.DiscardHandler)))
			}
			b.ResetTimer()
			start := time.Now()
			w.drainWith(b, senders, nil)
			elapsed := time.Since(start)
			b.StopTimer()
			n := 0
			for _, rc := range rcs {
				n += len(rc.got())
			}
			if n != events*c.endpoints {
				b.Fatalf("delivered %d, want %d", n, events*c.endpoints)
			}
			b.ReportMetric(float64(n)/elapsed.Seconds(), "deliveries/s")
		})
	}
}

// BenchmarkDeliveriesBehindABacklog measures deliveries per second to a
// receiver that answers while another endpoint, down, has a backlog of
// 10 000 deliveries waiting behind its first (backing off): what a day of
// one partner's outage does to everyone else's webhooks.
func BenchmarkDeliveriesBehindABacklog(b *testing.B) {
	ctx := context.Background()
	h := newHub(b)
	w := newWorld(b, h.srv)
	harbor := w.partnerID(b, "harbor-logistics")
	_, down := w.endpoint(b, h, "admin@harbor.test", "/down", []string{webhook.TeamChanged}, 0)
	down.answer = func(int) int { return 503 }
	fill := func(n int) {
		err := w.store.InTx(ctx, func(tx *store.Store) error {
			for i := range n {
				if err := teamEvent(ctx, tx, harbor, fmt.Sprintf("Team %d", i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	fill(10000)
	// The first fails and backs off for an hour or so; the rest wait
	// behind it.
	w.clock.advance(time.Hour)
	w.drain(b)
	w.clock.advance(-time.Hour)
	_, up := w.endpoint(b, h, "admin@harbor.test", "/up", []string{webhook.TeamChanged}, 0)
	fill(b.N)
	if _, err := w.store.DB().Exec(`ANALYZE webhook_deliveries`); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	w.drainWith(b, []*webhook.Sender{w.sender}, func() bool { return len(up.got()) >= b.N })
	elapsed := time.Since(start)
	b.StopTimer()
	if calls, _ := down.stats(); calls != 1 || len(up.got()) != b.N {
		b.Fatalf("the endpoint down was called %d times, the one up accepted %d of %d", calls, len(up.got()), b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}
