package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func TestUnavailable(t *testing.T) {
	t.Parallel()
	db := pgtest.DB(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A database nobody listens for: the socket folder is empty.
	nowhere := "postgres:///portico?" + url.Values{"host": {t.TempDir()}, "sslmode": {"disable"}}.Encode()
	_, dialErr := store.Open(ctx, nowhere)
	if dialErr == nil {
		t.Fatal("opened a database nobody serves")
	}
	_, queryErr := db.ExecContext(ctx, `SELEC 1`)
	if queryErr == nil {
		t.Fatal("a syntax error was accepted")
	}
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"the server cannot be reached", fmt.Errorf("token by hash: %w", dialErr), true},
		{"the server is starting up", &pq.Error{Code: "57P03"}, true},
		{"the server is shutting down", fmt.Errorf("wrapped: %w", &pq.Error{Code: "57P01"}), true},
		{"too many connections", &pq.Error{Code: "53300"}, true},
		{"a connection exception", &pq.Error{Code: "08006"}, true},
		{"a query the server refused", queryErr, false},
		{"a row not found", store.ErrNotFound, false},
		{"the caller's deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), false},
		{"the caller went away", context.Canceled, false},
		{"any other error", errors.New("boom"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := store.Unavailable(tc.err); got != tc.want {
				t.Errorf("Unavailable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
