package reliability

import (
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Portico killed (SIGKILL) while a delivery waits for its retry, then
// started again: the event is delivered exactly once, and the delivery
// log shows the failed attempts before the restart and the one success
// after it (issue 20, "killed mid-retry and restarted delivers it
// exactly once").
func TestWebhookKilledMidRetryDeliveredOnce(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts portico twice")
	}
	w := newHookWorld(t)
	w.rc.answer(http.StatusServiceUnavailable)
	n := startNode(t, "node", w.settings...)
	ev := w.createTeam(t, "Night shift")
	waitFor(t, 30*time.Second, "a failed attempt in the delivery log", func() error {
		if got := w.log(t, ev); len(got) == 0 {
			return errNotYet
		}
		return nil
	})
	killedAt := time.Now()
	n.kill(t)
	before := w.delivery(t, ev.DeliveryID)
	failed := w.log(t, ev)
	if before.State != "pending" || before.Attempts != len(failed) || !before.Next.After(killedAt) {
		t.Fatalf("killed with the delivery %+v and the log %v, want it pending for a retry after its %d failed attempts", before, failed, len(failed))
	}
	w.rc.answer(http.StatusNoContent)
	// The back-off elapses: its delays are tested in internal/webhook;
	// here the retry is simply due when the node comes back.
	if _, err := w.db.Exec(`UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1`, ev.DeliveryID); err != nil {
		t.Fatal(err)
	}
	startNode(t, "node restarted", w.settings...)
	waitFor(t, 30*time.Second, "the receiver accepting the event after the restart", func() error {
		if w.rc.accepted(ev.MsgID) == 0 {
			return errNotYet
		}
		return nil
	})
	w.drain(t, "Day shift")

	want := make([]int, 0, len(failed)+1)
	for range failed {
		want = append(want, http.StatusServiceUnavailable)
	}
	want = append(want, http.StatusNoContent)
	if got := w.rc.accepted(ev.MsgID); got != 1 {
		t.Errorf("the receiver accepted webhook-id %s %d times, want exactly once; it saw %s", ev.MsgID, got, w.rc.summary())
	}
	// Each failure it answered is in the log; one more at most, if the
	// kill cut a retry short after the receiver answered it.
	refusedByUs := 0
	for _, r := range w.rc.of(ev.Team) {
		if r.Status == http.StatusServiceUnavailable {
			refusedByUs++
		}
	}
	if refusedByUs < len(failed) || refusedByUs > len(failed)+1 {
		t.Errorf("the receiver answered 503 %d times, the log shows %d failed attempts; it saw %s", refusedByUs, len(failed), w.rc.summary())
	}
	if got := w.log(t, ev); len(got) > len(want)+5 {
		t.Errorf("the delivery log shows %d attempts, want %v", len(got), want)
	} else if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the delivery log (-want +got):\n%s", diff)
	}
	if d := w.delivery(t, ev.DeliveryID); d.State != "delivered" || d.Attempts != len(want) {
		t.Errorf("delivery = %+v, want delivered after %d attempts", d, len(want))
	}
	if p := w.pending(t); p != 0 {
		t.Errorf("%d deliveries still pending", p)
	}
	if r := w.rc.refusals(); r != 0 {
		t.Errorf("the receiver refused %d deliveries' signatures", r)
	}
}

// Portico killed (SIGKILL) while a delivery is being sent (the receiver
// has it and has not answered; the node holds the delivery's row lock):
// the node never learnt the outcome, so after the restart the event is
// sent again with the same webhook-id — the Standard Webhooks contract,
// under which receivers de-duplicate by webhook-id — and recorded as
// delivered once.
func TestWebhookKilledMidSendSentAgainWithTheSameID(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts portico twice")
	}
	w := newHookWorld(t)
	w.rc.holdNext()
	n := startNode(t, "node", w.settings...)
	ev := w.createTeam(t, "Night shift")
	if id := w.rc.waitArrived(t); id != ev.MsgID {
		t.Fatalf("the receiver got webhook-id %s, want the event's %s", id, ev.MsgID)
	}
	var free []int64 // the node holds the row while it sends
	if err := w.db.Select(&free, `SELECT id FROM webhook_deliveries WHERE id = $1 FOR UPDATE SKIP LOCKED`, ev.DeliveryID); err != nil || len(free) != 0 {
		t.Fatalf("the delivery is not locked mid-send (%v, %v)", free, err)
	}
	n.kill(t)
	w.rc.release()
	if d := w.delivery(t, ev.DeliveryID); d.State != "pending" || d.Attempts != 0 {
		t.Fatalf("after the kill the delivery is %+v, want pending with no attempt recorded", d)
	}
	startNode(t, "node restarted", w.settings...)
	waitFor(t, 30*time.Second, "the event sent again after the restart", func() error {
		if len(w.rc.of(ev.Team)) < 2 {
			return errNotYet
		}
		return nil
	})
	w.drain(t, "Day shift")

	got := w.rc.of(ev.Team)
	if len(got) != 2 {
		t.Errorf("the receiver saw the event %d times, want twice (cut by the kill, then sent again): %s", len(got), w.rc.summary())
	}
	for _, r := range got {
		if r.ID != ev.MsgID {
			t.Errorf("a receipt carries webhook-id %s, want the event's %s every time: %s", r.ID, ev.MsgID, w.rc.summary())
		}
	}
	var delivered int
	if err := w.db.Get(&delivered, `SELECT count(*) FROM webhook_deliveries WHERE id = $1 AND state = 'delivered'`, ev.DeliveryID); err != nil {
		t.Fatal(err)
	}
	if delivered != 1 {
		t.Errorf("%d deliveries of the event recorded as delivered, want 1", delivered)
	}
	if diff := cmp.Diff([]int{http.StatusNoContent}, w.log(t, ev)); diff != "" {
		t.Errorf("the delivery log (-want +got; the cut send left no attempt):\n%s", diff)
	}
	if p := w.pending(t); p != 0 {
		t.Errorf("%d deliveries still pending", p)
	}
}

// SIGTERM while a delivery is being sent: the node stops taking
// deliveries but lets the one in flight finish and records it, then
// exits 0; it is not sent again.
func TestWebhookSIGTERMMidSendFinishesIt(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts portico twice")
	}
	w := newHookWorld(t)
	w.rc.holdNext()
	n := startNode(t, "node", w.settings...)
	ev := w.createTeam(t, "Night shift")
	w.rc.waitArrived(t)
	n.signal(t, syscall.SIGTERM)
	if !n.logged("shutting down") {
		t.Fatalf("no shutdown logged after SIGTERM:\n%s", n.logs.tail(20))
	}
	select {
	case <-n.done:
		t.Fatalf("the node exited (%v) with a delivery still being sent", n.exit)
	default:
	}
	w.rc.release()
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the node still running 30 s after its delivery was answered")
	}
	if n.exit != nil {
		t.Errorf("the node exited with %v after SIGTERM, want status 0", n.exit)
	}
	if d := w.delivery(t, ev.DeliveryID); d.State != "delivered" || d.Attempts != 1 {
		t.Errorf("after the stop the delivery is %+v, want delivered at its one attempt", d)
	}
	if diff := cmp.Diff([]int{http.StatusNoContent}, w.log(t, ev)); diff != "" {
		t.Errorf("the delivery log (-want +got):\n%s", diff)
	}
	startNode(t, "node restarted", w.settings...)
	w.drain(t, "Day shift")
	if got := w.rc.of(ev.Team); len(got) != 1 {
		t.Errorf("the receiver saw the event %d times, want once: %s", len(got), w.rc.summary())
	}
}
