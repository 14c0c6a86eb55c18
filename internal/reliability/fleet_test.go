package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/demo"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/requestid"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// fleet is three nodes over one database, the partner's people and the
// live upstream behind the APIs.
type fleet struct {
	nodes    []*node
	db       *sqlx.DB
	st       *store.Store
	pats     *pat.Service
	dev      access.Actor // dev@harbor.test, in the team granted every sample API
	craneDev access.Actor // dev@crane.test, granted the fleet through "Fleet basics"
	up       *upstream
	client   *http.Client
}

// newFleet seeds the database at dbURL (migrated) with the demo partners
// and catalog, points the fleet and telemetry APIs' live traffic at a
// local upstream, and starts three nodes on it; settings(i) adds node i's
// own settings (REDIS_URL, ...) to its environment.
func newFleet(t *testing.T, dbURL string, settings func(i int) []string) *fleet {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dbURL)
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
	f := &fleet{db: db, st: st, up: newUpstream(t),
		pats:   pat.New(st, token.NewHasher([]byte(secret)), pmail.NewOutbox(st), "http://portal.test"),
		client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	t.Cleanup(f.client.CloseIdleConnections)
	cat := catalog.NewService(st)
	for _, slug := range []string{"fleet", "telemetry"} {
		api, err := st.APIBySlug(ctx, slug)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cat.SetUpstream(ctx, api.ID, f.up.srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	f.dev, f.craneDev = actor(t, st, "dev@harbor.test"), actor(t, st, "dev@crane.test")
	f.nodes = make([]*node, 3)
	var wg sync.WaitGroup
	for i := range f.nodes {
		env := []string{"DATABASE_URL=" + dbURL}
		if settings != nil {
			env = append(env, settings(i)...)
		}
		wg.Go(func() { f.nodes[i] = startNode(t, fmt.Sprintf("node %d", i+1), env...) })
	}
	wg.Wait()
	for _, n := range f.nodes {
		if n == nil || n.URL == "" {
			t.FailNow() // startNode said why
		}
	}
	return f
}

func actor(t *testing.T, st *store.Store, email string) access.Actor {
	t.Helper()
	u, err := st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return access.Actor{UserID: u.ID, Role: u.Role, PartnerID: *u.PartnerID}
}

// token creates a live personal access token for who, as the portal's
// token form does; perMinute > 0 gives it a limit of its own.
func (f *fleet) token(t *testing.T, who access.Actor, perMinute int, scopes ...string) *pat.Created {
	t.Helper()
	in := pat.Input{Name: "reliability " + strconv.FormatInt(seq.Add(1), 10), Environment: store.EnvLive, Days: 30, Scopes: scopes}
	if perMinute > 0 {
		in.RatePerMinute = &perMinute
	}
	c, err := f.pats.Create(context.Background(), who, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var seq atomic.Int64

// newID returns a request id starting with prefix, unique in the test
// process, that the nodes carry through to the audit rows.
func newID(prefix string) string { return fmt.Sprintf("%s%08d", prefix, seq.Add(1)) }

// setGroupLimit sets an access group's requests per minute, as its
// account manager does on the group's page.
func (f *fleet) setGroupLimit(t *testing.T, group string, perMinute int) {
	t.Helper()
	var g store.AccessGroup
	if err := f.db.Get(&g, `SELECT id, name, description, rate_limit_per_minute, monthly_quota FROM access_groups WHERE name = $1`, group); err != nil {
		t.Fatal(err)
	}
	if err := f.st.UpdateAccessGroup(context.Background(), g.ID, g.Name, g.Description, perMinute, g.MonthlyQuota); err != nil {
		t.Fatal(err)
	}
}

// answer is what a client saw of one call.
type answer struct {
	node   int
	rid    string
	sent   time.Time
	took   time.Duration
	status int    // 0: no response (err says why)
	code   string // the JSON error's code
	header http.Header
	err    error // no response at all
	// cut is set when a response began but its body did not arrive whole.
	cut error
}

// call sends one gateway or API call to node i and reads the answer whole.
// A request id (8 to 64 letters, digits, - or _) lets the audit row be
// found; "" lets the node choose one.
func (f *fleet) call(i int, method, path, tok, rid string, hdr ...string) answer {
	a := answer{node: i, rid: rid, sent: time.Now()}
	if rid != "" && !requestid.Valid(rid) {
		a.err = fmt.Errorf("request id %q would be replaced by the node", rid)
		return a
	}
	req, err := http.NewRequest(method, f.nodes[i].URL+path, nil)
	if err != nil {
		a.err = err
		return a
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if rid != "" {
		req.Header.Set("X-Request-Id", rid)
	}
	for j := 0; j+1 < len(hdr); j += 2 {
		req.Header.Set(hdr[j], hdr[j+1])
	}
	resp, err := f.client.Do(req)
	if err != nil {
		a.err, a.took = err, time.Since(a.sent)
		return a
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	a.took, a.status, a.header = time.Since(a.sent), resp.StatusCode, resp.Header
	switch {
	case err != nil:
		a.cut = err
	case resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength:
		a.cut = fmt.Errorf("%d of %d bytes", len(body), resp.ContentLength)
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		a.code = e.Error.Code
	}
	return a
}

// revoke revokes a token through node i's management API, as its owner's
// script would (DELETE /api/v1/tokens/{id} with a portal:tokens:write token).
func (f *fleet) revoke(t *testing.T, i int, manager string, id int64) {
	t.Helper()
	a := f.call(i, http.MethodDelete, "/api/v1/tokens/"+strconv.FormatInt(id, 10), manager, "")
	if a.err != nil || a.status != http.StatusNoContent {
		t.Fatalf("revoke token %d through node %d: %d %s %v", id, i+1, a.status, a.code, a.err)
	}
}

// audited returns the status of each audited call whose request id
// starts with prefix (-1 for one audited twice).
func (f *fleet) audited(t *testing.T, prefix string) map[string]int {
	t.Helper()
	var rows []struct {
		ID     string `db:"request_id"`
		Status int    `db:"status"`
	}
	if err := f.db.Select(&rows, `SELECT request_id, status FROM api_calls WHERE request_id LIKE $1`, prefix+"%"); err != nil {
		t.Fatal(err)
	}
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		if _, twice := out[r.ID]; twice {
			out[r.ID] = -1 // twice: matches no status
			continue
		}
		out[r.ID] = r.Status
	}
	return out
}

// waitAudited waits (up to a minute: a writer retries with back-off) until
// every id in want has its 2xx audit row, then checks that no other 2xx
// row of prefix exists: calls answered 2xx equal audit rows.
func (f *fleet) waitAudited(t *testing.T, prefix string, want map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got := map[string]bool{}
		var missing, extra, twice []string
		for id, status := range f.audited(t, prefix) {
			if status >= 200 && status < 300 {
				got[id] = true
			} else if status == -1 {
				twice = append(twice, id)
			}
		}
		for id := range want {
			if !got[id] {
				missing = append(missing, id)
			}
		}
		for id := range got {
			if !want[id] {
				extra = append(extra, id)
			}
		}
		if len(missing) > 0 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		if len(twice) > 0 {
			t.Errorf("%d calls audited twice, e.g. %s", len(twice), strings.Join(twice[:min(5, len(twice))], ", "))
		}
		if len(extra) > 0 {
			t.Errorf("%d calls audited as 2xx whose client saw no 2xx answer, e.g. %s", len(extra), strings.Join(extra[:min(5, len(extra))], ", "))
		}
		if len(missing) > 0 {
			t.Errorf("%d of %d calls answered 2xx have no audit row a minute later, e.g. %s", len(missing), len(want), strings.Join(missing[:min(5, len(missing))], ", "))
		}
		t.Logf("%d calls answered 2xx, %d audit rows with 2xx", len(want), len(got))
		return
	}
}

// upstream is the APIs' live backend: it answers every call with a JSON
// body of bodySize bytes; a call with "X-Hold: 1" waits until released
// (so it is in flight for as long as a test needs).
type upstream struct {
	srv     *httptest.Server
	held    atomic.Int64
	release chan struct{}
	once    sync.Once
}

const bodySize = 64 << 10

func newUpstream(t *testing.T) *upstream {
	u := &upstream{release: make(chan struct{})}
	body := []byte(`{"data":"` + strings.Repeat("x", bodySize-len(`{"data":""}`)) + `"}`)
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hold") != "" {
			u.held.Add(1)
			select {
			case <-u.release:
			case <-time.After(30 * time.Second):
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		// Two halves with a flush between: a connection cut during the
		// answer leaves the client with part of it.
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		_, _ = w.Write(body[len(body)/2:])
	}))
	t.Cleanup(u.srv.Close)
	t.Cleanup(u.releaseAll)
	return u
}

func (u *upstream) releaseAll() { u.once.Do(func() { close(u.release) }) }

// waitFor polls cond every 10 ms until it returns nil or limit passes,
// and returns how long that took. cond's error says what is still amiss.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() error) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		err := cond()
		if err == nil {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s: %v", what, limit, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
