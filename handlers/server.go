package handlers

import (
	"log/slog"
	"net/http"
	"time"
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
	// trickling its body holds a connection no longer.
	Read time.Duration
	// Write bounds the answer, from the end of the request's headers.
	Write time.Duration
	// Idle bounds a kept-alive connection's wait for the next request.
	Idle time.Duration
}

// DefaultServerTimeouts are the timeouts Portico serves with.
var DefaultServerTimeouts = ServerTimeouts{
	ReadHeader: 10 * time.Second,
	Read:       60 * time.Second,
	Write:      120 * time.Second,
	Idle:       120 * time.Second,
}

// NewServer returns the HTTP server Portico serves h with (the portal and
// the gateway on one listener): its timeouts (t's, defaults where zero),
// its header size limit, and its complaints logged to log.
func NewServer(h http.Handler, log *slog.Logger, t ServerTimeouts) *http.Server {
	d := DefaultServerTimeouts
	return &http.Server{
		Handler:           closeAmbiguous(h),
		ReadHeaderTimeout: orDefault(t.ReadHeader, d.ReadHeader),
		ReadTimeout:       orDefault(t.Read, d.Read),
		WriteTimeout:      orDefault(t.Write, d.Write),
		IdleTimeout:       orDefault(t.Idle, d.Idle),
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// closeAmbiguous closes the connection after answering a request whose
// body a proxy in front of Portico may have framed otherwise, so that
// what follows it on the connection is never served as a request of its
// own (request smuggling; RFC 9112 §6.1 requires it): a chunked request —
// net/http takes Transfer-Encoding over a Content-Length sent with it and
// drops the Content-Length, so the two cannot be told apart here — and an
// HTTP/1.0 one, whose Transfer-Encoding net/http ignores without a trace.
// Clients send chunked bodies rarely (streamed uploads, where a new
// connection costs little) and HTTP/1.0 hardly ever.
func closeAmbiguous(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) == 0 && r.ProtoAtLeast(1, 1) {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(&closing{ResponseWriter: w}, r)
	})
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
