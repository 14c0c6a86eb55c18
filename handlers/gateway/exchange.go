package gateway

import (
	"context"
	"net/http"

	"github.com/portico/portico/internal/calls"
)

// exchange is the state of one call, pooled.
type exchange struct {
	w http.ResponseWriter
	// ctx is the call's context, read only when a long answer moves
	// the write deadline on (extendWrite).
	ctx      context.Context
	status   int
	bytes    int64
	call     calls.Call
	admitted bool
	// m counts the call: the unmatched counters of its environment until
	// it matches a catalog API, that API's after. nil: metrics off.
	m APIMetrics
	// lim bounds a chunked body; swallow drops what follows the 413 (or
	// 429) that replaced an answer given while the body was refused.
	lim     *bodyLimit
	swallow bool
	// large: the call holds one of partner largeOf's large-body places.
	large   bool
	largeOf int64
	// interim: an upstream's informational (1xx) answer was passed on;
	// own holds the gateway's own headers (ownHeaders) as they were
	// before it, for the final answer, since httputil clears the header
	// map after each 1xx.
	interim bool
	own     [len(ownHeaders)][]string
}

// ownHeaders are the headers the gateway sets on its answers before the
// backend or the upstream answers.
var ownHeaders = [...]string{"X-Request-Id", "Ratelimit", "Ratelimit-Policy", "Deprecation", "Sunset",
	"X-Content-Type-Options", "Content-Security-Policy"}

func (x *exchange) Header() http.Header { return x.w.Header() }

// WriteHeader answers 413 instead of whatever comes first once the body
// went over its limit: an upstream (or a backend) that answered a
// truncated body must not look like a success, nor an error of its own.
func (x *exchange) WriteHeader(code int) {
	if code < 200 && code != http.StatusSwitchingProtocols {
		x.writeInterim(code)
		return
	}
	if x.swallow {
		return
	}
	if x.status == 0 {
		x.restoreOwn()
		if x.bodyRefused() {
			x.refuse()
			return
		}
		x.status = code
	}
	x.w.WriteHeader(code)
}

func (x *exchange) Write(b []byte) (int, error) {
	if x.swallow {
		return len(b), nil
	}
	if x.status == 0 {
		x.restoreOwn()
		if x.bodyRefused() {
			x.refuse()
			return len(b), nil
		}
		x.status = http.StatusOK
	}
	n, err := x.w.Write(b)
	if x.bytes>>20 != (x.bytes+int64(n))>>20 {
		x.extendWrite()
	}
	x.bytes += int64(n)
	return n, err
}

// writeInterim passes on an upstream's informational answer (103 Early
// Hints), which httputil writes (on the transport's goroutine, while the
// call waits for the final answer) through the final answer's header map,
// merged into it, then clears that map. It is not the call's status; it
// goes without the headers an upstream may not send on the portal's
// origin; and the gateway's own headers are kept for the final answer.
func (x *exchange) writeInterim(code int) {
	h := x.w.Header()
	if !x.interim {
		x.interim = true
		for i, k := range ownHeaders {
			// The gateway set one value; the 1xx's were added after it.
			if v := h[k]; len(v) > 0 {
				x.own[i] = v[:1:1]
			}
		}
	}
	for _, k := range originHeaders {
		delete(h, k)
	}
	if x.swallow || x.status != 0 || x.bodyRefused() {
		return
	}
	x.w.WriteHeader(code)
}

// restoreOwn sets the gateway's own headers again before the final answer
// when a 1xx went before it (the upstream's own values for them lose).
func (x *exchange) restoreOwn() {
	if !x.interim {
		return
	}
	h := x.w.Header()
	for i, k := range ownHeaders {
		if x.own[i] != nil {
			h[k] = x.own[i]
		}
	}
}

// Flush lets streamed upstream responses through.
func (x *exchange) Flush() {
	x.extendWrite()
	if f, ok := x.w.(http.Flusher); ok {
		f.Flush()
	}
}
