package reliability

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
)

// SIGTERM to one of three nodes under load: the calls it is serving when
// the signal comes all get their whole answer (held at the upstream until
// the node refuses new connections, so they are surely in flight), it
// refuses new connections at once, exits 0, and every call answered 2xx
// by any node has its audit row. A call that got no answer at all was never served:
// it has no audit row (README, "Several nodes and failures").
func TestSIGTERMUnderLoad(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts three portico processes")
	}
	f := newFleet(t, pgtest.URL(t), nil)
	f.setGroupLimit(t, "Port operations", 100000) // the load is not what is tested
	tok := f.token(t, f.dev, 0, "fleet/fleet:read").Plaintext
	victim := f.nodes[1]

	var mu sync.Mutex
	var answers []answer
	loadCtx, stopLoad := context.WithCancel(context.Background())
	var load sync.WaitGroup
	defer load.Wait()
	defer stopLoad() // first: the load ends even when the test stops early
	for i := range f.nodes {
		for range 2 {
			load.Go(func() {
				for loadCtx.Err() == nil {
					a := f.call(i, http.MethodGet, "/live/fleet/spreaders", tok, newID("term-"))
					mu.Lock()
					answers = append(answers, a)
					mu.Unlock()
					time.Sleep(2 * time.Millisecond)
				}
			})
		}
	}
	const held = 16
	heldAnswers := make([]answer, held)
	var hold sync.WaitGroup
	for k := range heldAnswers {
		hold.Go(func() {
			heldAnswers[k] = f.call(1, http.MethodGet, "/live/fleet/spreaders", tok, newID("term-"), "X-Hold", "1")
		})
	}
	waitFor(t, 30*time.Second, "the held calls reaching the upstream", func() error {
		if n := f.up.held.Load(); n < held {
			return fmt.Errorf("%d held", n)
		}
		return nil
	})
	signalled := time.Now()
	victim.signal(t, syscall.SIGTERM)
	addr := strings.TrimPrefix(victim.URL, "http://")
	refusing := waitFor(t, 5*time.Second, "node 2 refusing new connections after SIGTERM", func() error {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return nil
		}
		c.Close()
		return errors.New("a new connection was accepted")
	})
	// Released at once: the node's last calls end moments before it
	// stops, so their audit records are the ones its shutdown writes.
	f.up.releaseAll()
	hold.Wait()
	select {
	case <-victim.done:
	case <-time.After(30 * time.Second):
		t.Fatal("node 2 still running 30 s after its calls finished")
	}
	exited := time.Since(signalled)
	if victim.exit != nil {
		t.Errorf("node 2 exited with %v after SIGTERM, want status 0", victim.exit)
	}
	time.Sleep(300 * time.Millisecond) // nodes 1 and 3 go on serving
	stopLoad()
	load.Wait()

	for k, a := range heldAnswers {
		if a.err != nil || a.cut != nil || a.status != http.StatusOK {
			t.Errorf("call %d in flight at SIGTERM: %d %s %v %v, want a whole 200", k, a.status, a.code, a.err, a.cut)
		}
	}
	ok := map[string]bool{}
	var unanswered []answer
	for _, a := range append(answers, heldAnswers...) {
		switch {
		case a.cut != nil:
			t.Errorf("call %s to node %d: its answer was cut off: %v", a.rid, a.node+1, a.cut)
		case a.err != nil && a.node != 1:
			t.Errorf("call %s to node %d, which was not stopped: %v", a.rid, a.node+1, a.err)
		case a.err != nil:
			unanswered = append(unanswered, a)
		case a.status != http.StatusOK:
			t.Errorf("call %s to node %d answered %d %s", a.rid, a.node+1, a.status, a.code)
		default:
			ok[a.rid] = true
		}
	}
	f.waitAudited(t, "term-", ok)
	rows := f.audited(t, "term-")
	early := 0
	for _, a := range unanswered {
		if a.sent.Before(signalled) {
			early++
		}
		if status, served := rows[a.rid]; served {
			t.Errorf("call %s sent %s before SIGTERM was served (audited %d) but its client got no answer: %v", a.rid, signalled.Sub(a.sent), status, a.err)
		}
	}
	t.Logf("SIGTERM to node 2 with %d calls in flight: new connections refused %s after, it exited %s after (its calls released as it refused); %d calls answered, %d to node 2 got no answer (%d of them sent before the signal; none of them served)",
		held, refusing.Round(time.Millisecond), exited.Round(time.Millisecond), len(ok), len(unanswered), early)
}
