package credential

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"
)

// Channel is the PostgreSQL notification channel the database triggers
// of migration 00008 speak on: "token:ID" for one token, "partner:ID" for
// a partner's own settings the principals hold (migration 00037), "*" for
// anything that changes what users are granted.
const Channel = "portico_credentials"

// Listen keeps the cache in step with the database until ctx ends: it
// LISTENs on Channel over its own connection to dsn and forgets what each
// notification names. While the connection is down nothing is cached
// beyond TTL; on reconnecting everything is forgotten, since notifications
// may have been missed. ready, if not nil, is closed once listening.
func (v *Verifier) Listen(ctx context.Context, dsn string, log *slog.Logger, ready chan<- struct{}) error {
	l := pq.NewListener(dsn, 100*time.Millisecond, 10*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			log.Warn("credential cache listener disconnected", "err", err)
		case pq.ListenerEventReconnected:
			log.Info("credential cache listener reconnected")
			v.Forget(0)
		case pq.ListenerEventConnectionAttemptFailed:
			log.Warn("credential cache listener cannot connect", "err", err)
		}
	})
	defer l.Close()
	if err := l.Listen(Channel); err != nil {
		return err
	}
	// Anything cached before listening began may have missed a change.
	v.Forget(0)
	if ready != nil {
		close(ready)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case n := <-l.Notify:
			if n == nil {
				v.Forget(0) // reconnected: changes may have been missed
				continue
			}
			v.apply(n.Extra)
		case <-time.After(time.Minute):
			go func() { _ = l.Ping() }()
		}
	}
}

// apply forgets what one notification names.
func (v *Verifier) apply(payload string) {
	if id, ok := strings.CutPrefix(payload, "token:"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			v.Forget(n)
			return
		}
	}
	if id, ok := strings.CutPrefix(payload, "partner:"); ok {
		if n, err := strconv.ParseInt(id, 10, 64); err == nil {
			v.ForgetPartner(n)
			return
		}
	}
	v.Forget(0)
}

// Run flushes recorded token uses every interval until ctx ends, then
// once more.
func (v *Verifier) Run(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := v.Flush(fctx); err != nil {
				log.Error("record token uses", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := v.Flush(ctx); err != nil {
				log.Error("record token uses", "err", err)
			}
		}
	}
}
