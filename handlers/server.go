package handlers

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/portico/portico/handlers/gateway"
)

// MaxHeaderBytes bounds a request's line and headers; past it (and the
// server's few KiB of slack) a client gets 431.
const MaxHeaderBytes = 64 << 10

// ServerTimeouts bound how long the HTTP server waits on a client. A zero
// field takes its production default (DefaultServerTimeouts); tests give
// short ones to see a slow client cut off without waiting for it.
type ServerTimeouts struct {
	// ReadHeader bounds reading the request line and headers: a client
	// sending them a byte at a time (slowloris) is cut off after it.
	ReadHeader time.Duration
	// Read bounds reading the whole request, body included: a client
	// trickling its body holds a connection no longer. A large body
	// (over 64 KiB, or chunked) gets more time as it arrives: see
	// MinBodyRate.
	Read time.Duration
	// Write bounds the answer, from the end of the request's headers;
	// the gateway moves it on as a long answer goes out, so it bounds how
	// long a client takes to read (gateway.WithWriteTimeout).
	Write time.Duration
	// Idle bounds a kept-alive connection's wait for the next request.
	Idle time.Duration
	// MinBodyRate is the rate (bytes per second) a large body must keep
	// up to be read past Read: its reading may last Read plus a second
	// per MinBodyRate bytes received, and its answer Write beyond that.
	// A legitimate upload of the largest body an API accepts (64 MiB)
	// thus goes through at any speed above it, while a client trickling
	// a body is cut off after Read.
	MinBodyRate int64
}

// DefaultServerTimeouts are the timeouts Portico serves with.
var DefaultServerTimeouts = ServerTimeouts{
	ReadHeader: 10 * time.Second,
	Read:       60 * time.Second,
	Write:      120 * time.Second,
	Idle:       120 * time.Second,
	// 128 kbit/s: 64 MiB may take up to 69 minutes.
	MinBodyRate: 16 << 10,
}

// NewServer returns the HTTP server Portico serves h with (the portal and
// the gateway on one listener): its timeouts (t's, defaults where zero),
// its header size limit, and its complaints logged to log.
func NewServer(h http.Handler, log *slog.Logger, t ServerTimeouts) *http.Server {
	d := DefaultServerTimeouts
	t.ReadHeader, t.Read = orDefault(t.ReadHeader, d.ReadHeader), orDefault(t.Read, d.Read)
	t.Write, t.Idle = orDefault(t.Write, d.Write), orDefault(t.Idle, d.Idle)
	if t.MinBodyRate <= 0 {
		t.MinBodyRate = d.MinBodyRate
	}
	return &http.Server{
		Handler:           guard(h, t),
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// The gateway moves the write deadline on as a long answer goes out.
		BaseContext: func(net.Listener) context.Context {
			return gateway.WithWriteTimeout(context.Background(), t.Write)
		},
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// pacedBody is the size over which a body is read at a pace (t.MinBodyRate)
// rather than within the read timeout.
const pacedBody = 64 << 10

// guard serves h, closing the connection after a request whose framing is
// ambiguous and pacing a large body's reading (t's timeouts); a request of
// neither kind costs two comparisons.
//
// The connection is closed after answering a request whose body a proxy
// in front of Portico may have framed otherwise, so that what follows it
// on the connection is never served as a request of its own (request
// smuggling; RFC 9112 §6.1 requires it): a chunked request — net/http
// takes Transfer-Encoding over a Content-Length sent with it and drops the
// Content-Length, so the two cannot be told apart here — and an HTTP/1.0
// one, whose Transfer-Encoding net/http ignores without a trace. Clients
// send chunked bodies rarely (streamed uploads, where a new connection
// costs little) and HTTP/1.0 hardly ever.
func guard(h http.Handler, t ServerTimeouts) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunked := len(r.TransferEncoding) > 0
		if !chunked && r.ContentLength <= pacedBody && r.ProtoAtLeast(1, 1) {
			h.ServeHTTP(w, r)
			return
		}
		if chunked || r.ContentLength > pacedBody {
			r.Body = &pacer{ReadCloser: r.Body, ctl: http.NewResponseController(w), start: time.Now(), t: t}
		}
		if chunked || !r.ProtoAtLeast(1, 1) {
			w = &closing{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	})
}

// pacer moves the connection's read deadline on as a large body arrives:
// to t.Read plus a second per t.MinBodyRate bytes read after start; the
// write deadline follows, t.Write after it, so the answer to a long
// upload is not cut off either. It moves them every quarter second's
// worth of bytes, not on every read.
type pacer struct {
	io.ReadCloser
	ctl        *http.ResponseController
	start      time.Time
	t          ServerTimeouts
	read, next int64
}

func (p *pacer) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	p.read += int64(n)
	if n > 0 && p.read >= p.next {
		p.next = p.read + p.t.MinBodyRate/4
		rate := p.t.MinBodyRate
		d := p.start.Add(p.t.Read + time.Duration(p.read/rate)*time.Second + time.Duration(p.read%rate)*time.Second/time.Duration(rate))
		_ = p.ctl.SetReadDeadline(d)
		_ = p.ctl.SetWriteDeadline(d.Add(p.t.Write))
	}
	return n, err
}

// closing answers with Connection: close. It sets the header when the
// answer starts, not before: a reverse proxy clears the header map after
// passing on an informational (1xx) answer.
type closing struct {
	http.ResponseWriter
	started bool
}

func (w *closing) start() {
	if !w.started {
		w.started = true
		w.Header().Set("Connection", "close")
	}
}

func (w *closing) WriteHeader(code int) {
	if code >= 200 {
		w.start()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *closing) Write(b []byte) (int, error) {
	w.start()
	return w.ResponseWriter.Write(b)
}

// Flush lets streamed answers through (the gateway's live responses).
func (w *closing) Flush() {
	w.start()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap gives http.ResponseController the server's writer.
func (w *closing) Unwrap() http.ResponseWriter { return w.ResponseWriter }
