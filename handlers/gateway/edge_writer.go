package gateway

import (
	"net/http"
	"strconv"

	"github.com/valyala/fasthttp"
)

// edgeWriter is the http.ResponseWriter the chain answers through on the
// edge: the header map is the chain's, copied into fasthttp's response
// when the status is written; the body is buffered in fasthttp's response
// (a live answer that is streamed bypasses it: forwardEdge).
type edgeWriter struct {
	edge   *Edge
	ctx    *fasthttp.RequestCtx
	h      http.Header
	status int
	// typed: the answer said its Content-Type.
	typed bool
	// uri and buf are forwardEdge's scratch space: the upstream's
	// request URI, a live answer's body.
	uri, buf []byte
}

func (w *edgeWriter) reset(ctx *fasthttp.RequestCtx) {
	w.ctx, w.status = ctx, 0
	clear(w.h)
}

func (w *edgeWriter) Header() http.Header { return w.h }

// WriteHeader sends the final status with the header map as it stands.
// An informational status is not passed on (fasthttp cannot send one).
func (w *edgeWriter) WriteHeader(code int) {
	if w.status != 0 || code < 200 {
		return
	}
	w.status = code
	resp := &w.ctx.Response
	resp.SetStatusCode(code)
	rh := &resp.Header
	for k, vs := range w.h {
		switch k {
		case "Content-Length":
			// fasthttp sends the length of the body it has; a
			// streamed body's length is given with the stream.
			if len(vs) > 0 && w.ctx.IsHead() {
				if n, err := strconv.Atoi(vs[0]); err == nil {
					rh.SetContentLength(n)
				}
			}
			continue
		case "Connection":
			for _, v := range vs {
				if v == "close" {
					w.ctx.SetConnectionClose()
				}
			}
			continue
		case "Transfer-Encoding", "Date":
			continue
		}
		for _, v := range vs {
			rh.Add(k, v)
		}
	}
	w.typed = len(w.h["Content-Type"]) > 0
}

func (w *edgeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if !bodyAllowed(w.status) {
		return 0, http.ErrBodyNotAllowed
	}
	w.ctx.Response.AppendBody(b)
	return len(b), nil
}

// Flush has nothing to do: the body goes out when the call returns.
func (w *edgeWriter) Flush() {}

// finish answers 200 for a call that wrote nothing, as net/http does.
// A body without a Content-Type gets the one net/http would sniff.
func (w *edgeWriter) finish() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.typed || w.ctx.Response.IsBodyStream() {
		return // Body would read a stream whole
	}
	if b := w.ctx.Response.Body(); len(b) > 0 {
		w.ctx.Response.Header.SetContentType(http.DetectContentType(b))
	}
}

func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified && (status < 100 || status > 199)
}
