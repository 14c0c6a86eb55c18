package webhook_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/portico/portico/internal/webhook"
)

// TestAnyAnswerIsLogged: whatever bytes a receiver answers with, the
// attempt is logged (the answer's first bytes, as text the database
// keeps) and the delivery moves on: an answer the log could not hold
// must not leave the delivery pending, to be sent again and again.
func TestAnyAnswerIsLogged(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"accepted, with a NUL byte", http.StatusOK, "ok\x00done", "ok\ufffddone"},
		{"refused, binary", http.StatusInternalServerError, "\x00\x01\xff\xfe", "\ufffd\x01\ufffd"},
		{"accepted, long", http.StatusAccepted, strings.Repeat("é", 2000), strings.Repeat("é", 512)},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newHub(t)
			w := newWorld(t, h.srv)
			harbor := w.partnerID(t, "harbor-logistics")
			ep, _ := w.endpoint(t, h, "admin@harbor.test", "/odd", []string{webhook.TeamChanged}, 0)
			var calls atomic.Int32
			h.handle("/odd", http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) {
				calls.Add(1)
				rw.WriteHeader(c.status)
				_, _ = rw.Write([]byte(c.body))
			}))
			w.emit(t, harbor, "Night shift")
			w.drain(t)
			w.drain(t)
			log := w.attempts(t, ep.Endpoint.ID)
			if len(log) != 1 || calls.Load() != 1 {
				t.Fatalf("%d attempts logged, %d calls; want 1 and 1", len(log), calls.Load())
			}
			if log[0].Response != c.want || *log[0].Status != c.status {
				t.Errorf("logged %d %q, want %d %q", *log[0].Status, log[0].Response, c.status, c.want)
			}
		})
	}
}
