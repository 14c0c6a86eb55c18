package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/config"
)

// startEdge serves the gateway gw on its own listener (PORTICO_GATEWAY_ADDR)
// until ctx is cancelled, then lets its calls in flight finish within
// shutdownGrace. The returned wait blocks until it has stopped. Without
// the setting it does nothing: the portal's listener serves the gateway.
func startEdge(ctx context.Context, log *slog.Logger, cfg *config.Config, gw *gateway.Gateway) (wait func(), err error) {
	if cfg.GatewayAddr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", cfg.GatewayAddr)
	if err != nil {
		return nil, usageError{fmt.Sprintf("PORTICO_GATEWAY_ADDR: cannot listen on %s: %v", cfg.GatewayAddr, err)}
	}
	// As the browser sends it in Origin.
	origin := gateway.Origin(cfg.BaseURL)
	edge := gateway.NewEdge(gw, gateway.EdgeConfig{TrustedProxies: cfg.TrustedProxies, AllowOrigin: origin, Version: version, Log: log})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := edge.Serve(ln); err != nil {
			log.Error("gateway listener stopped", "err", err)
		}
	}()
	stopped := make(chan struct{})
	// #nosec G118 -- the shutdown's own context: ctx has ended when it starts, and the calls in flight get shutdownGrace.
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := edge.Shutdown(sctx); err != nil {
			log.Warn("gateway listener: shutdown", "err", err)
		}
		<-done
	}()
	log.Info("gateway listening", "addr", ln.Addr().String(), "url", cfg.GatewayURL.String())
	return func() { <-stopped }, nil
}
