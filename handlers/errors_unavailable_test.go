package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/lib/pq"
)

// A handler's error from a database that is down or restarting answers
// 503 (try again), not the 500 of a bug.
func TestClassifyDatabaseUnavailable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"database starting up", fmt.Errorf("load session: %w", &pq.Error{Code: "57P03"}), http.StatusServiceUnavailable, "unavailable"},
		{"database shutting down", &pq.Error{Code: "57P01"}, http.StatusServiceUnavailable, "unavailable"},
		{"a query error", &pq.Error{Code: "42601"}, http.StatusInternalServerError, "internal"},
		{"any other error", errors.New("boom"), http.StatusInternalServerError, "internal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := classify(tc.err)
			if e.Status != tc.status || e.Code != tc.code {
				t.Errorf("classify(%v) = %d %s, want %d %s", tc.err, e.Status, e.Code, tc.status, tc.code)
			}
		})
	}
}
