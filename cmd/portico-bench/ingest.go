package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/portico/portico/internal/calls"
)

// ingest feeds the gateway's calls writer as fast as it takes calls for d
// (waiting a moment whenever its queue is full), lets it flush on
// shutdown, and counts the rows it wrote.
func ingest(ctx context.Context, pt *portico, d time.Duration) (*ingestion, error) {
	if err := pt.open(ctx); err != nil {
		return nil, err
	}
	before, err := pt.auditRows(ctx)
	if err != nil {
		return nil, err
	}
	partner, err := pt.actor(ctx, "dev@harbor.test")
	if err != nil {
		return nil, err
	}
	w := calls.NewWriter(pt.st, pt.db, calls.WriterConfig{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- w.Run(runCtx) }()
	var n int64
	for time.Since(start) < d && ctx.Err() == nil {
		c := calls.Call{At: time.Now(), PartnerID: partner.PartnerID, TokenID: 1, API: "fleet", Operation: "listSpreaders",
			Environment: "live", Method: "GET", Path: "/spreaders", Status: 200, Latency: 300 * time.Microsecond,
			ClientIP: "127.0.0.1", UserAgent: "portico-bench", RequestID: "bench-" + strconv.FormatInt(n, 36), BytesIn: 0, BytesOut: 310}
		switch err := w.Record(c); {
		case err == nil:
			n++
		case errors.Is(err, calls.ErrFull):
			time.Sleep(100 * time.Microsecond)
		default:
			stop()
			return nil, err
		}
	}
	stop()
	if err := <-done; err != nil {
		return nil, err
	}
	elapsed := time.Since(start)
	after, err := pt.auditRows(ctx)
	if err != nil {
		return nil, err
	}
	return &ingestion{Recorded: n, Rows: after - before, Elapsed: elapsed}, nil
}
