package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// Edge serves the machine surface (/sandbox/, /live/, /auth/verify and the
// OAuth endpoints) on a listener of its own, with fasthttp's server and,
// for live calls, its HostClient: net/http's server and transport cost
// more per call than the whole chain. The chain is the gateway's own, run
// on a pooled *http.Request made from the fasthttp request (its header
// map, URL and body reused) and answering through an http.ResponseWriter
// that writes fasthttp's response.
//
// What the edge does not do, and the portal's listener does: pass on an
// upstream's informational (1xx) answers, or an answer with a trailer
// fasthttp's client refuses (Set-Cookie, Content-*…: it fails instead).
// Protocol upgrades are refused on both. Live answers above
// streamThreshold, or of unknown length (server-sent events), are
// streamed to the caller; their audit record is written when their
// headers went out, with the length they declared.
type Edge struct {
	g   *Gateway
	srv *fasthttp.Server
	// trusted are the proxies whose X-Forwarded-For names the client.
	trusted []*net.IPNet
	// origin is the one origin allowed to call the edge from a browser.
	origin string
	// read, write and rate are EdgeConfig's ReadTimeout, WriteTimeout and
	// MinBodyRate.
	read, write time.Duration
	rate        int64
	pool        sync.Pool // of *edgeCall
	// health is /healthz's answer.
	health []byte
	// upstreams are the clients of the live upstreams, by URL.
	upstreams sync.Map // string -> *edgeUpstream
}

// EdgeConfig are the edge's limits, as the portal's server has them.
type EdgeConfig struct {
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []*net.IPNet
	// AllowOrigin is the portal's origin (scheme://host[:port]), whose
	// pages may call the edge (CORS); empty, no origin may.
	AllowOrigin string
	// ReadTimeout bounds reading a request, headers and body (60 s).
	ReadTimeout time.Duration
	// HeaderTimeout bounds reading a request's headers (10 s).
	HeaderTimeout time.Duration
	// WriteTimeout bounds writing an answer (120 s).
	WriteTimeout time.Duration
	// IdleTimeout bounds waiting for the next request (120 s).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's line and headers (64 KiB).
	MaxHeaderBytes int
	// MinBodyRate is the rate (bytes per second) a large body (over 64
	// KiB, or chunked) must keep up to be read past ReadTimeout: its
	// reading may last ReadTimeout plus a second per MinBodyRate bytes
	// received (16 KiB/s), as on the portal's listener.
	MinBodyRate int64
	// Version is the one /healthz gives, as the portal's does.
	Version string
	Log     *slog.Logger
}

// NewEdge returns the edge of g.
func NewEdge(g *Gateway, c EdgeConfig) *Edge {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadTimeout, 60*time.Second)
	def(&c.HeaderTimeout, 10*time.Second)
	def(&c.WriteTimeout, 120*time.Second)
	def(&c.IdleTimeout, 120*time.Second)
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	if c.MinBodyRate <= 0 {
		c.MinBodyRate = 16 << 10
	}
	e := &Edge{g: g, trusted: c.TrustedProxies, origin: c.AllowOrigin, read: c.ReadTimeout, write: c.WriteTimeout, rate: c.MinBodyRate}
	e.pool.New = func() any { return newEdgeCall(e) }
	e.health, _ = json.Marshal(struct {
		Status  string `json:"status"`
		Version string `json:"version"`
	}{"ok", c.Version})
	log := c.Log
	if log == nil {
		log = g.d.Log
	}
	e.srv = &fasthttp.Server{
		Handler: e.handle,
		// Until the headers are in, HeaderTimeout bounds the request;
		// HeaderReceived then gives the body the rest of ReadTimeout.
		ReadTimeout:  c.HeaderTimeout,
		WriteTimeout: c.WriteTimeout,
		IdleTimeout:  c.IdleTimeout,
		// The read buffer bounds the request line and headers.
		ReadBufferSize: c.MaxHeaderBytes,
		// Bodies are streamed to the chain, which applies each API's
		// limit as it reads; this only bounds what fasthttp buffers
		// before the handler runs.
		StreamRequestBody:            true,
		MaxRequestBodySize:           largeBody,
		DisablePreParseMultipartForm: true,
		NoDefaultServerHeader:        true,
		NoDefaultContentType:         true,
		CloseOnShutdown:              true,
		ErrorHandler:                 e.badRequest,
		HeaderReceived: func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
			return fasthttp.RequestConfig{ReadTimeout: c.ReadTimeout}
		},
		Logger: edgeLogger{log},
	}
	return e
}

// Serve serves the edge on ln until Shutdown.
func (e *Edge) Serve(ln net.Listener) error { return e.srv.Serve(ln) }

// Shutdown stops accepting, waits for calls in flight to finish (or ctx to
// end) and closes the idle connections.
func (e *Edge) Shutdown(ctx context.Context) error { return e.srv.ShutdownWithContext(ctx) }

// badRequest answers a request fasthttp could not parse (or read in time)
// as the gateway answers bad input: JSON, with a request id.
func (e *Edge) badRequest(ctx *fasthttp.RequestCtx, err error) {
	status, msg := http.StatusBadRequest, "The request is malformed."
	if _, ok := err.(*fasthttp.ErrSmallBuffer); ok {
		status, msg = http.StatusRequestHeaderFieldsTooLarge, "The request's headers are too large."
	} else if err == fasthttp.ErrBodyTooLarge {
		status, msg = http.StatusRequestEntityTooLarge, "The request body is too large."
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		status, msg = http.StatusRequestTimeout, "The request was not received in time."
	}
	c := e.pool.Get().(*edgeCall)
	c.w.reset(ctx)
	writeError(&c.w, status, codeInvalidRequest, msg, e.g.newRequestID())
	c.w.finish()
	ctx.SetConnectionClose()
	e.pool.Put(c)
}

// handle serves one call.
func (e *Edge) handle(ctx *fasthttp.RequestCtx) {
	if ctx.Request.Header.ContentLength() == -1 || !ctx.Request.Header.IsHTTP11() {
		// As the portal's listener: the connection ends after a chunked
		// (or HTTP/1.0) request, whose body a proxy in front may have
		// framed otherwise, so nothing after it on the connection is
		// served as a request of its own (RFC 9112 §6.1).
		ctx.SetConnectionClose()
	}
	if e.preflight(ctx) {
		return
	}
	c := e.pool.Get().(*edgeCall)
	defer e.done(ctx, c)
	r, ok := c.request(ctx)
	c.w.reset(ctx)
	if !ok {
		writeError(&c.w, http.StatusBadRequest, codeInvalidRequest, "The request's target is not a valid URL path.", e.g.newRequestID())
		return
	}
	if r.ContentLength < 0 || r.ContentLength > largeBody {
		c.body.paced, c.body.conn, c.body.start = true, ctx.Conn(), time.Now()
		c.body.read, c.body.rate = e.read, e.rate
	}
	ip := e.clientIP(ctx, c)
	switch p := r.URL.Path; {
	case IsOAuth(p):
		e.g.OAuth(&c.w, r, ip)
	case IsVerify(p):
		e.g.Verify(&c.w, r, ip)
	case strings.HasPrefix(p, "/sandbox/") || strings.HasPrefix(p, "/live/"):
		e.g.Serve(&c.w, r, ip)
	default:
		e.elsewhere(&c.w, r)
	}
}

// done ends a call: an aborted one (http.ErrAbortHandler, as net/http's
// server knows it: an answer cut off midway) closes the connection without
// sending what was buffered; any other panic is answered 500 if nothing
// was, rather than taking the process down (fasthttp recovers none).
func (e *Edge) done(ctx *fasthttp.RequestCtx, c *edgeCall) {
	p := recover()
	switch {
	case p == http.ErrAbortHandler:
		ctx.Response.Reset()
		ctx.SetConnectionClose()
		_ = ctx.Conn().Close()
	case p != nil:
		e.g.d.Log.Error("gateway edge panic", "panic", p)
		if c.w.status == 0 {
			writeError(&c.w, http.StatusInternalServerError, codeInternal, "The gateway failed to handle this call. Quote the request id to support.", c.w.h.Get("X-Request-Id"))
		}
		ctx.SetConnectionClose()
	}
	if p != http.ErrAbortHandler {
		c.w.finish()
		e.allow(ctx)
	}
	c.clear()
	e.pool.Put(c)
}
