package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/portico/portico/internal/webhook"
)

// Webhook workers look for due deliveries every webhookPoll when idle;
// old events are pruned every webhookPruneEvery, keeping webhookKeep of
// delivery log.
const (
	webhookPoll       = time.Second
	webhookPruneEvery = time.Hour
	webhookKeep       = 30 * 24 * time.Hour
)

// sendWebhooks runs workers webhook senders until ctx ends (0: none on
// this node), and prunes finished events older than webhookKeep.
func sendWebhooks(ctx context.Context, s *webhook.Sender, workers int, log *slog.Logger) {
	if workers <= 0 {
		return
	}
	go func() {
		t := time.NewTicker(webhookPruneEvery)
		defer t.Stop()
		for {
			if n, err := s.Prune(ctx, webhookKeep); err != nil && ctx.Err() == nil {
				log.Warn("webhook prune", "err", err)
			} else if n > 0 {
				log.Info("webhook events pruned", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	s.Run(ctx, workers, webhookPoll)
}
