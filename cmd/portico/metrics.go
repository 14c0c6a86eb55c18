package main

import (
	"context"
	"fmt"
	"net"

	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/config"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/metrics"
	"github.com/portico/portico/internal/store"
)

// The gateway's counters are metrics.Gateway's, without either package
// importing the other.
var _ gateway.Metrics = (*metrics.Gateway)(nil)

// startMetrics serves the Prometheus metrics on PORTICO_METRICS_ADDR, a
// listener of its own, until ctx ends; stop waits for it to close. With
// the setting unset it does nothing and the gateway counts nothing.
// The registry is this process's own (no global one), so tests and a
// second server in one process never share series.
func startMetrics(ctx context.Context, e env, cfg *config.Config, db *sqlx.DB, st *store.Store,
	recorder *calls.Writer, verifier *credential.Verifier) (gm gateway.Metrics, stop func(), err error) {
	if cfg.MetricsAddr == "" {
		return nil, func() {}, nil
	}
	reg := prometheus.NewRegistry()
	g, err := metrics.New(reg, metrics.Sources{
		DB:            db.DB,
		Calls:         recorder.Stats,
		QueueCapacity: recorder.Capacity(),
		VerifierCache: verifier.CacheCounts,
		OutboxBacklog: st.OutboxBacklog,
		Log:           e.log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, usageError{fmt.Sprintf("PORTICO_METRICS_ADDR: cannot listen on %s: %v", cfg.MetricsAddr, err)}
	}
	e.log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	// Stopped with ctx, or by stop when serve returns early (the public
	// listener failed).
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	log := e.log.With("listener", "metrics")
	go func() {
		defer close(done)
		if err := serveOn(ctx, log, ln, metrics.Handler(reg, log)); err != nil {
			log.Error("metrics listener", "err", err)
		}
	}()
	return g, func() { cancel(); <-done }, nil
}
