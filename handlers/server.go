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
		Handler:           h,
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
