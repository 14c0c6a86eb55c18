package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/alerts"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/leak"
	"github.com/portico/portico/internal/lifecycle"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/retention"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/internal/webhook"
	"github.com/portico/portico/internal/webhook/endpoints"
)

// shutdownGrace is how long in-flight requests may take to finish after
// SIGTERM before the server closes their connections.
const shutdownGrace = 20 * time.Second

func cmdServe(ctx context.Context, e env, args []string) error {
	cfg, err := command{name: "serve", summary: "Migrate the database, then serve the portal and the gateway until SIGTERM or SIGINT.", needDB: true, needHTTP: true}.parse(e, args, nil)
	if err != nil {
		return err
	}
	db, closeDB, err := migratedDB(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer closeDB()
	return serve(ctx, e, cfg, db, false)
}

// serve checks the schema, wires the HTTP handlers and serves on cfg.Addr
// until ctx is cancelled.
// demo shows the demo accounts on the sign-in page.
func serve(ctx context.Context, e env, cfg *config.Config, db *sqlx.DB, demo bool) error {
	start := time.Now()
	// The gateway allocates per call and its live heap is small: collect
	// garbage less often (GOGC=400 unless set) — +16 % /live throughput
	// in make bench, for a few more MB of heap.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if err := store.CheckSchema(ctx, db); err != nil {
		return err
	}
	st := store.New(db)
	transport, err := mail.NewTransport(cfg.SMTPURL, cfg.MailFrom, e.log)
	if err != nil {
		return usageError{err.Error()}
	}
	sender := mail.NewSender(st, transport, e.log, mail.SenderConfig{})
	hasher := token.NewHasher(cfg.Secret)
	verifier := credential.NewVerifier(st, hasher)
	limiter, quota, closeLimits, err := limits(cfg, e.log)
	if err != nil {
		return err
	}
	defer closeLimits()
	// The audit writer outlives the HTTP server: calls still being served
	// at shutdown are recorded, then the queue is flushed.
	recorder := calls.NewWriter(st, db, calls.WriterConfig{}, e.log)
	writerCtx, stopWriter := context.WithCancel(context.Background())
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		if err := recorder.Run(writerCtx); err != nil {
			e.log.Error("call audit writer", "err", err)
		}
	}()
	defer func() { stopWriter(); <-writerDone }()
	// Retention: checked hourly, run once a day by one node; it stops
	// (recording what it did) when the server is asked to stop.
	retentionDone := make(chan struct{})
	go func() { defer close(retentionDone); retention.New(st, retention.Config{}, e.log).Run(ctx) }()
	defer func() { <-retentionDone }()
	// Alerts: the rules are evaluated every 5 minutes, by one node at a
	// time; new alerts are mailed through the outbox.
	alertsDone := make(chan struct{})
	go func() {
		defer close(alertsDone)
		alerts.New(st, db.DB, mail.NewOutbox(st), cfg.BaseURL.String(), e.log).Run(ctx)
	}()
	defer func() { <-alertsDone }()
	// Partner lifecycle: scheduled ends take effect on their day and their
	// reminders go out, checked every 15 minutes by one node at a time.
	lifecycleDone := make(chan struct{})
	go func() {
		defer close(lifecycleDone)
		lifecycle.NewJob(lifecycle.New(st, mail.NewOutbox(st), cfg.BaseURL.String()), db.DB, e.log).Run(ctx)
	}()
	defer func() { <-lifecycleDone }()
	gatewayMetrics, stopMetrics, err := startMetrics(ctx, e, cfg, db, st, recorder, verifier)
	if err != nil {
		return err
	}
	defer stopMetrics()
	var leakKeys *leak.Keys
	if cfg.LeakKeys != "" {
		if leakKeys, err = leak.LoadKeys(cfg.LeakKeys); err != nil {
			return usageError{"PORTICO_LEAK_KEYS: " + err.Error()}
		}
		e.log.Info("leaked-token reports accepted", "keys", len(leakKeys.IDs()))
	}
	gatewayURL := ""
	if cfg.GatewayURL != nil {
		gatewayURL = cfg.GatewayURL.String()
	}
	// One single sign-on service for the pages and the scheduled check,
	// so both share what discovery said of each provider.
	signOn := sso.New(st, sso.MustBox(cfg.Secret), sso.NewHTTPClient(cfg.SSOAllowPrivate), mail.NewOutbox(st), cfg.BaseURL.String())
	// One webhook sender for the workers and the pages' test events and
	// resends.
	hookBox := webhook.MustBox(cfg.Secret)
	hooks := webhook.NewSender(st, hookBox, webhook.NewClient(cfg.WebhookAllowPrivate, nil), mail.NewOutbox(st), cfg.BaseURL.String(), e.log)
	app, gw := handlers.NewWithGateway(handlers.Config{
		Version:        version,
		SecureCookies:  cfg.SecureCookies(),
		Secret:         cfg.Secret,
		Demo:           demo,
		BaseURL:        cfg.BaseURL.String(),
		MailTransport:  fmt.Sprint(transport),
		MailDelivered:  !mail.OutboxOnly(transport),
		TrustedProxies: cfg.TrustedProxies,
		LeakKeys:       leakKeys,
		GatewayURL:     gatewayURL,

		WebhookAllowPrivate: cfg.WebhookAllowPrivate,
	}, handlers.Deps{Log: e.log, DB: db, Outbox: mail.NewOutbox(st), Mailer: sender, Verifier: verifier,
		Limiter: limiter, Quota: quota, Recorder: recorder, GatewayMetrics: gatewayMetrics, SSO: signOn,
		Webhooks: endpoints.New(st, hookBox, hooks, cfg.WebhookAllowPrivate)})
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return usageError{fmt.Sprintf("PORTICO_ADDR: cannot listen on %s: %v", cfg.Addr, err)}
	}
	// The sender outlives the HTTP server by a moment, so mails queued by
	// the last requests are still handed over before the process exits.
	senderCtx, stopSender := context.WithCancel(context.Background())
	senderDone := make(chan struct{})
	go func() { defer close(senderDone); sender.Run(senderCtx) }()
	usesDone, noticesDone := make(chan struct{}), make(chan struct{})
	// Stopping waits for the mail sender, for the last batch of token
	// uses to be written and for the expiry notices (which log).
	defer func() { stopSender(); <-senderDone; <-usesDone; <-noticesDone }()
	go sweepSessions(senderCtx, st, e.log)
	go syncIdentityProviders(ctx, signOn, cfg.SSOSyncInterval, sender, e.log)
	// Webhook workers stop taking deliveries with the server; one being
	// sent finishes (at most the delivery timeout) before the process ends.
	hooksDone := make(chan struct{})
	go func() { defer close(hooksDone); sendWebhooks(ctx, hooks, cfg.WebhookWorkers, e.log) }()
	defer func() { <-hooksDone }()
	// The credential cache follows the database's notifications; token
	// uses are written in batches, the last batch after the server stops.
	go listenForChanges(senderCtx, verifier, cfg.DatabaseURL, e.log)
	go func() { defer close(usesDone); verifier.Run(senderCtx, 10*time.Second, e.log) }()
	go func() {
		defer close(noticesDone)
		noticeExpiringTokens(senderCtx, pat.New(st, hasher, mail.NewOutbox(st), cfg.BaseURL.String()), sender, e.log)
	}()
	waitEdge, err := startEdge(ctx, e.log, cfg, gw)
	if err != nil {
		return err
	}
	// The gateway's listener stops before the audit writer does.
	defer waitEdge()
	e.log.Info("portico ready", "addr", ln.Addr().String(), "url", cfg.BaseURL.String(), "version", version, "startup_ms", time.Since(start).Milliseconds())
	return serveOn(ctx, e.log, ln, app)
}

// serveOn serves h on ln until ctx is cancelled, then stops accepting, lets
// in-flight requests finish within shutdownGrace, and returns.
func serveOn(ctx context.Context, log *slog.Logger, ln net.Listener, h http.Handler) error {
	srv := handlers.NewServer(h, log, handlers.DefaultServerTimeouts)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "grace", shutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	log.Info("stopped")
	return nil
}

// listenForChanges keeps the credential cache listening for the
// database's change notifications, starting again (with back-off) if the
// listener fails, so revocations keep reaching this node in milliseconds.
func listenForChanges(ctx context.Context, v *credential.Verifier, dsn string, log *slog.Logger) {
	wait := time.Second
	for ctx.Err() == nil {
		err := v.Listen(ctx, dsn, log, nil)
		if ctx.Err() != nil {
			return
		}
		log.Error("credential cache listener stopped; cached verifications expire within a minute until it is back", "err", err, "retry_in", wait.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}

// limits returns the gateway's rate limiter and quota counter: shared
// through Redis when REDIS_URL is set, in process otherwise, wrapped in
// the configured failure mode.
func limits(cfg *config.Config, log *slog.Logger) (ratelimit.Limiter, gateway.Quota, func(), error) {
	mode := ratelimit.FailOpen
	if cfg.RateLimitFailClosed {
		mode = ratelimit.FailClosed
	}
	if cfg.RedisURL == "" {
		return ratelimit.WithFailMode(ratelimit.NewMemory(), mode, log),
			ratelimit.QuotaWithFailMode(ratelimit.NewMemoryQuota(), mode, log), func() {}, nil
	}
	client, err := ratelimit.NewRedisClient(cfg.RedisURL)
	if err != nil {
		return nil, nil, nil, usageError{"REDIS_URL: " + err.Error()}
	}
	log.Info("rate limits and quotas shared through Redis")
	lim, quota := ratelimit.NewRedis(client, cfg.RateLimitTimeout), ratelimit.NewRedisQuota(client, cfg.RateLimitTimeout)
	// Connected and the scripts loaded before the first call, which would
	// otherwise time out doing it and trip the failure mode for a second.
	wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := errors.Join(lim.Warm(wctx), quota.Warm(wctx)); err != nil {
		log.Error("Redis does not answer at start: limits follow PORTICO_RATELIMIT_FAILURE until it does", "failure", mode.String(), "err", err)
	}
	cancel()
	return ratelimit.WithFailMode(lim, mode, log), ratelimit.QuotaWithFailMode(quota, mode, log),
		func() { _ = client.Close() }, nil
}

// noticeExpiringTokens mails owners of tokens that expire within seven
// days and within one, hourly (and once at start).
func noticeExpiringTokens(ctx context.Context, svc *pat.Service, mailer *mail.Sender, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := svc.SendExpiryNotices(ctx); err != nil {
			if ctx.Err() != nil {
				return // stopping
			}
			log.Warn("token expiry notices", "err", err)
		} else if n > 0 {
			log.Info("queued token expiry notices", "count", n)
			mailer.Kick()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepSessions deletes expired sessions every ten minutes, so the table
// holds only live ones (expired rows are never loaded, whatever their age).
func sweepSessions(ctx context.Context, st *store.Store, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := st.DeleteExpiredSessions(ctx); err != nil {
				log.Warn("sweep expired sessions", "err", err)
			} else if n > 0 {
				log.Info("swept expired sessions", "count", n)
			}
		}
	}
}
