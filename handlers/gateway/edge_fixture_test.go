package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// edge is a gateway edge under test as a raw TCP client sees it: where it
// listens, a live path it proxies to a recording upstream, a token for
// that path, and its limits. The edge cases run against any edge
// described so (net/http's here; another listener on its own address the
// same way).
type edge struct {
	addr  string
	path  string // a live POST path proxied to up, e.g. /live/uploads/files
	token string // a live token allowed to call path
	up    *recorder
	// limit is the body limit of path's API; maxHeader the edge's header
	// size limit.
	limit, maxHeader int64
}

// received is what the upstream got of one request.
type received struct {
	bytes    int64
	complete bool // the body arrived whole
	header   http.Header
}

// recorder is a real upstream recording, per X-Mark header, every request
// it receives, with its headers and how much of its body arrived. Unless
// answer serves it, a request is answered 201 (400 when its body was cut
// off), after a 103 when it asks with X-Early-Hints.
type recorder struct {
	*httptest.Server
	mu  sync.Mutex
	got map[string][]received
	// busy counts the requests being handled: what the upstream records
	// of a request the edge cut off, it records after the client's answer.
	busy atomic.Int64
	// answer, when set before calls, answers a request marked with a
	// name it knows (true), after the body was read.
	answer func(w http.ResponseWriter, r *http.Request) bool
}

func newRecorder(t testing.TB) *recorder {
	u := &recorder{got: map[string][]received{}}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.busy.Add(1)
		defer u.busy.Add(-1)
		if r.Header.Get("X-Early-Hints") != "" {
			// An informational answer first: the edge's own headers
			// for the final one must survive it.
			w.Header().Set("Link", "</style.css>; rel=preload")
			w.WriteHeader(http.StatusEarlyHints)
		}
		n, err := io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.got[r.Header.Get("X-Mark")] = append(u.got[r.Header.Get("X-Mark")], received{bytes: n, complete: err == nil, header: r.Header.Clone()})
		u.mu.Unlock()
		if err != nil {
			http.Error(w, "truncated body", http.StatusBadRequest)
			return
		}
		if u.answer != nil && u.answer(w, r) {
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(u.Close)
	return u
}

// seen returns what the upstream received marked mark, once it handles
// no request (within 2 s).
func (u *recorder) seen(mark string) []received {
	for end := time.Now().Add(2 * time.Second); u.busy.Load() > 0 && time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.got[mark]
}

// edgeLimit is the body limit of the edge fixture's streamed API.
const edgeLimit = 8 << 10

// newEdge serves the whole portal (handlers.New, the gateway mounted in
// it) from the server Portico ships (handlers.NewServer) with timeouts t,
// over a seeded database whose Uploads API (a streamed body, limit
// edgeLimit) is proxied to a recorder. The edge stops when the test ends.
func newEdge(t testing.TB, timeouts handlers.ServerTimeouts) *edge {
	t.Helper()
	return newEdgeLimit(t, timeouts, edgeLimit)
}

// newEdgeLimit is newEdge with the body limit limit.
func newEdgeLimit(t testing.TB, timeouts handlers.ServerTimeouts, limit int64) *edge {
	t.Helper()
	url := pgtest.URL(t)
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	cat := catalog.NewService(st)
	staff, err := st.UserByEmail(ctx, "am@portico.test")
	if err != nil {
		t.Fatal(err)
	}
	imp, err := cat.Create(ctx, access.Actor{UserID: staff.ID, Role: staff.Role}, "uploads", "Uploads", []byte(uploadsSpec))
	if err != nil {
		t.Fatal(err)
	}
	var group int64
	if err := db.Get(&group, `SELECT id FROM access_groups WHERE name = 'Port operations'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := catalog.NewGroups(st).IncludeAPI(ctx, group, imp.API.ID, []string{"uploads:write"}); err != nil {
		t.Fatal(err)
	}
	up := newRecorder(t)
	if _, err := cat.SetUpstream(ctx, imp.API.ID, up.URL); err != nil {
		t.Fatal(err)
	}
	if _, err := cat.SetBodyLimit(ctx, imp.API.ID, limit); err != nil {
		t.Fatal(err)
	}
	hasher := token.NewHasher(oauthSecret)
	u, err := st.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := pat.New(st, hasher, pmail.NewOutbox(st), "http://portal.test").Create(ctx,
		access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID},
		pat.Input{Name: "edge", Environment: "live", Days: 30, Scopes: []string{"uploads/uploads:write"}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(&logtest.Buffer{}, nil))
	app, gw := handlers.NewWithGateway(handlers.Config{Version: "test", Secret: oauthSecret, BaseURL: "https://portal.test", MailTransport: "test"},
		handlers.Deps{Log: log, DB: db, Outbox: pmail.NewOutbox(st), Mailer: kickNone{}})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if onFastEdge(t) {
		return fastEdge(t, gw, ln, timeouts, &edge{path: "/live/uploads/files", token: tok.Plaintext, up: up, limit: limit})
	}
	srv := handlers.NewServer(app, log, timeouts)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return &edge{addr: ln.Addr().String(), path: "/live/uploads/files", token: tok.Plaintext, up: up,
		limit: limit, maxHeader: int64(srv.MaxHeaderBytes)}
}
