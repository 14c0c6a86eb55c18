package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"

	"github.com/lib/pq"
)

// Unavailable reports whether err says the database cannot be reached or
// is not taking work right now (stopped, restarting, shutting down, out
// of connections) rather than that a query went wrong: the caller answers
// 503 and the client tries again later, instead of a 500 that reads as a
// bug.
func Unavailable(err error) bool {
	// A deadline or cancellation is the caller's: it says nothing of the
	// server (though context.DeadlineExceeded is a net.Error).
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
		return true
	}
	var pe *pq.Error
	if errors.As(err, &pe) {
		switch pe.Code {
		case "57P01", "57P02", "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			"53300": // too_many_connections
			return true
		}
		return pe.Code.Class() == "08" // connection_exception
	}
	var ne net.Error // dial refused or failed, connection reset, timeout
	return errors.As(err, &ne)
}
