package gateway

import (
	"context"
	"net/http"
	"time"
)

// writeTimeoutKey carries the server's write timeout in a call's context.
type writeTimeoutKey struct{}

// WithWriteTimeout returns ctx telling the gateway the HTTP server's write
// timeout d (set it as the server's BaseContext). The gateway then moves
// the connection's write deadline d on as a long answer goes out — at
// each flush of a stream (server-sent events) and each MiB of a large
// answer — so that d bounds how long a client takes to read, not how
// long an answer may last: an event stream or a large download read
// steadily is not cut off, a client that stops reading still is.
func WithWriteTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, writeTimeoutKey{}, d)
}

// extendWrite moves the write deadline on, when the server said its
// write timeout.
func (x *exchange) extendWrite() {
	if x.ctx == nil {
		return
	}
	if d, ok := x.ctx.Value(writeTimeoutKey{}).(time.Duration); ok && d > 0 {
		_ = http.NewResponseController(x.w).SetWriteDeadline(time.Now().Add(d))
	}
}
