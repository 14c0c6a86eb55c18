package gateway_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/handlers/gateway"
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/sandbox"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// uploadsSpec is an API whose upload takes a body without a schema: the
// gateway has nothing to check in it and streams it to the upstream.
const uploadsSpec = `openapi: 3.0.3
info: {title: Uploads API, version: "1.0.0"}
components:
  securitySchemes:
    portico: {type: oauth2, flows: {clientCredentials: {tokenUrl: /oauth/token, scopes: {"uploads:write": Upload files}}}}
security: [{portico: ["uploads:write"]}]
paths:
  /files:
    post:
      operationId: uploadFile
      summary: Upload a file
      requestBody: {content: {application/octet-stream: {}}}
      responses: {"201": {description: stored}}
`

// counting is an upstream that reads whole bodies and counts the bytes it
// received, truncated bodies included.
type counting struct {
	*httptest.Server
	got   atomic.Int64
	calls atomic.Int64
	// byCase counts the bytes per test case (the X-Test-Case header the
	// client sends): a body the gateway cut off is counted when the
	// upstream notices, after the client has its answer, and sometimes
	// during the next case.
	mu     sync.Mutex
	byCase map[string]int64
}

func newCounting(t testing.TB) *counting {
	c := &counting{byCase: map[string]int64{}}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.calls.Add(1)
		n, err := io.Copy(io.Discard, r.Body)
		c.got.Add(n)
		c.mu.Lock()
		c.byCase[r.Header.Get("X-Test-Case")] += n
		c.mu.Unlock()
		if err != nil {
			http.Error(w, "truncated body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"WO-1"}`))
	}))
	t.Cleanup(c.Close)
	return c
}

// gotFor is the bytes the upstream received for the test case named name.
func (c *counting) gotFor(name string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byCase[name]
}

// bodyFixture is a gateway whose caches follow the database's
// notifications, as in a running portal, with live upstreams for
// Maintenance (validated bodies) and Uploads (streamed bodies).
type bodyFixture struct {
	*fixture
	up *counting
	// spreader is one of Harbor's sandbox spreaders, for valid work orders.
	spreader string
	// status is the last status the gateway answered, seen on the server
	// side (a client may see the connection closed before the answer).
	status atomic.Int64
	// reading is closed once the gateway reads the body of a request
	// marked X-Test-Signal; holding once it asks for more of that body
	// after reading over 64 KiB of it. The gateway reads a body on one
	// goroutine and decides on the place of a large one after each read,
	// before the next: so holding means the body has its place (a body
	// refused a place is not read further).
	reading, holding chan struct{}
	// logs holds what the gateway logged.
	logs *logtest.Buffer
}

// signalBody closes f.reading when the gateway first reads the body and
// f.holding when it reads on past 64 KiB.
type signalBody struct {
	io.ReadCloser
	f          *bodyFixture
	once, held sync.Once
	n          int
}

func (b *signalBody) Read(p []byte) (int, error) {
	b.once.Do(func() { close(b.f.reading) })
	if b.n > 64<<10 {
		b.held.Do(func() { close(b.f.holding) })
	}
	n, err := b.ReadCloser.Read(p)
	b.n += n
	return n, err
}

type statusWriter struct {
	http.ResponseWriter
	f *bodyFixture
}

func (w statusWriter) WriteHeader(code int) {
	w.f.status.Store(int64(code))
	w.ResponseWriter.WriteHeader(code)
}

func (w statusWriter) Flush() { w.ResponseWriter.(http.Flusher).Flush() }

func newBodyFixture(t testing.TB) *bodyFixture {
	t.Helper()
	return newBodyFixtureWith(t, nil)
}

// newBodyFixtureWith is newBodyFixture whose sandbox serves the Uploads
// API with uploads (the built-in sandbox serves the others).
func newBodyFixtureWith(t testing.TB, uploads gateway.Sandbox) *bodyFixture {
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
	var port int64
	if err := db.Get(&port, `SELECT id FROM access_groups WHERE name = 'Port operations'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := catalog.NewGroups(st).IncludeAPI(ctx, port, imp.API.ID, []string{"uploads:write"}); err != nil {
		t.Fatal(err)
	}
	h := token.NewHasher(secret)
	v := credential.NewVerifier(st, h)
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	lctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		if err := v.Listen(lctx, url, log, ready); err != nil && lctx.Err() == nil {
			t.Errorf("listen: %v", err)
			close(ready)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-ready
	var sb gateway.Sandbox = realSandbox{sandbox.New(st)}
	if uploads != nil {
		sb = bySlug{"uploads": uploads, "": sb}
	}
	gw := gateway.New(gateway.Deps{Store: st, Catalog: cat, Verifier: v, Sandbox: sb, Log: log})
	f := &bodyFixture{up: newCounting(t), logs: logs}
	f.reading, f.holding = make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Test-Signal") != "" {
			r.Body = &signalBody{ReadCloser: r.Body, f: f}
		}
		gw.ServeHTTP(statusWriter{w, f}, r)
	}))
	t.Cleanup(srv.Close)
	f.fixture = &fixture{st: st, cat: cat, pats: pat.New(st, h, pmail.NewOutbox(st), "http://portal.test"), gw: gw, srv: srv}
	f.setUpstream(t, "maintenance", f.up.URL)
	f.setUpstream(t, "uploads", f.up.URL)
	req, _ := http.NewRequest("GET", srv.URL+"/sandbox/fleet/spreaders", nil)
	req.Header.Set("Authorization", "Bearer "+f.token(t, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || len(list.Items) == 0 {
		t.Fatalf("Harbor's spreaders: %v", err)
	}
	f.spreader = list.Items[0].ID
	return f
}

// bySlug serves each API with its own backend, "" with the others.
type bySlug map[string]gateway.Sandbox

func (b bySlug) Serve(w http.ResponseWriter, r *http.Request, req gateway.SandboxRequest) {
	if s, ok := b[req.API]; ok {
		s.Serve(w, r, req)
		return
	}
	b[""].Serve(w, r, req)
}

// setLimit sets an API's body limit as staff do. The gateway is not told:
// the database's notification must reach it (tests that need the new
// limit at once wait for it, or set it before the first call).
func (f *bodyFixture) setLimit(t testing.TB, slug string, n int64) {
	t.Helper()
	api, err := f.st.APIBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.cat.SetBodyLimit(context.Background(), api.ID, n); err != nil {
		t.Fatal(err)
	}
}

// chunked is a body of unknown length (so sent chunked): prefix, then n
// bytes of fill, then suffix, generated as it is read.
type chunked struct {
	prefix, suffix string
	n              int64
	sent           int64
	// block, when set, is waited on once the prefix is out.
	block chan struct{}
	// sample, when set, is called every 4 MiB of fill.
	sample func()
}

var fill = []byte(strings.Repeat("A", 64<<10))

func (c *chunked) Read(p []byte) (int, error) {
	if c.prefix != "" {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	if c.block != nil {
		<-c.block
		c.block = nil
	}
	if c.sent < c.n {
		k := min(int64(len(p)), int64(len(fill)), c.n-c.sent)
		copy(p, fill[:k])
		if c.sample != nil && c.sent/(4<<20) != (c.sent+k)/(4<<20) {
			c.sample()
		}
		c.sent += k
		return int(k), nil
	}
	if c.suffix != "" {
		n := copy(p, c.suffix)
		c.suffix = c.suffix[n:]
		return n, nil
	}
	return 0, io.EOF
}

// workOrder returns a valid work order whose title is padded with spaces
// after its text to a total of size bytes (the title's maxLength counts
// characters, so the padding goes outside the string).
func (f *bodyFixture) workOrder(size int) string {
	s := `{"spreader_id":"` + f.spreader + `","title":"Twistlock sensor check","type":"corrective","priority":"high"}`
	return s[:len(s)-1] + strings.Repeat(" ", size-len(s)) + "}"
}

// send posts body to path with tok; a declared length when sized, chunked
// otherwise. The error is the client's, when the gateway closed the
// connection before it could read the answer.
func (f *fixture) send(t testing.TB, path, tok, ctype string, body io.Reader, size int64) (int, errorBody, error) {
	t.Helper()
	req, err := http.NewRequest("POST", f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	if size < 0 {
		req.ContentLength = 0
		req.TransferEncoding = []string{"chunked"}
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("X-Test-Case", t.Name())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, errorBody{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e errorBody
	_ = json.Unmarshal(raw, &e)
	if resp.StatusCode >= 400 && (e.Error.Code == "" || e.Error.RequestID == "") {
		t.Errorf("POST %s: error body %q lacks the documented shape", path, raw)
	}
	return resp.StatusCode, e, nil
}

// TestBodyLimit sends bodies around an API's limit, with a declared
// length and chunked, to the sandbox (validated), to a live upstream
// behind validation, and to one the body is streamed to.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	const limit = 4 << 10
	f.setLimit(t, "maintenance", limit)
	f.setLimit(t, "uploads", limit)
	sbx := f.token(t, "dev@harbor.test", "sandbox", "maintenance/maintenance:write").Plaintext
	live := f.token(t, "dev@harbor.test", "live", "maintenance/maintenance:write", "uploads/uploads:write").Plaintext
	jsonCT, octets := "application/json", "application/octet-stream"
	for _, tc := range []struct {
		name, path, tok, ctype string
		body                   func() (io.Reader, int64)
		want                   int
		// upstream: how many bytes the upstream may have received.
		upstream int64
	}{
		{"sandbox declared over", "/sandbox/maintenance/work-orders", sbx, jsonCT,
			func() (io.Reader, int64) { return strings.NewReader(f.workOrder(limit + 1)), limit + 1 }, 413, 0},
		{"sandbox chunked over", "/sandbox/maintenance/work-orders", sbx, jsonCT,
			func() (io.Reader, int64) { return &chunked{prefix: `{"title":"`, n: 1 << 20, suffix: `"}`}, -1 }, 413, 0},
		{"sandbox chunked just under", "/sandbox/maintenance/work-orders", sbx, jsonCT,
			func() (io.Reader, int64) { return &chunked{prefix: f.workOrder(limit)}, -1 }, 201, 0},
		{"sandbox declared just under", "/sandbox/maintenance/work-orders", sbx, jsonCT,
			func() (io.Reader, int64) { return strings.NewReader(f.workOrder(limit)), limit }, 201, 0},
		{"live validated declared over", "/live/maintenance/work-orders", live, jsonCT,
			func() (io.Reader, int64) { return strings.NewReader(f.workOrder(limit + 1)), limit + 1 }, 413, 0},
		{"live validated chunked over", "/live/maintenance/work-orders", live, jsonCT,
			func() (io.Reader, int64) { return &chunked{prefix: `{"title":"`, n: 1 << 20, suffix: `"}`}, -1 }, 413, 0},
		{"live validated chunked just under", "/live/maintenance/work-orders", live, jsonCT,
			func() (io.Reader, int64) { return &chunked{prefix: f.workOrder(limit)}, -1 }, 201, limit},
		{"live streamed declared over", "/live/uploads/files", live, octets,
			func() (io.Reader, int64) { return strings.NewReader(strings.Repeat("x", limit+1)), limit + 1 }, 413, 0},
		{"live streamed chunked over", "/live/uploads/files", live, octets,
			func() (io.Reader, int64) { return &chunked{n: 8 << 20}, -1 }, 413, limit},
		{"live streamed chunked just under", "/live/uploads/files", live, octets,
			func() (io.Reader, int64) { return &chunked{n: limit}, -1 }, 201, limit},
		{"live streamed declared just under", "/live/uploads/files", live, octets,
			func() (io.Reader, int64) { return strings.NewReader(strings.Repeat("x", limit)), limit }, 201, limit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, size := tc.body()
			status, e, err := f.send(t, tc.path, tc.tok, tc.ctype, body, size)
			if err != nil {
				t.Fatalf("client: %v", err)
			}
			if status != tc.want {
				t.Fatalf("status = %d %s %q, want %d", status, e.Error.Code, e.Error.Message, tc.want)
			}
			if tc.want == 413 && (e.Error.Code != "body_too_large" || !strings.Contains(e.Error.Message, "4 KiB")) {
				t.Errorf("413 says %s %q, want body_too_large naming 4 KiB", e.Error.Code, e.Error.Message)
			}
			got := f.up.gotFor(t.Name())
			if got > tc.upstream {
				t.Errorf("the upstream received %d bytes, want at most %d", got, tc.upstream)
			}
			if tc.want == 201 && tc.upstream > 0 && got == 0 {
				t.Error("the upstream counted nothing for this case: is X-Test-Case still forwarded?")
			}
		})
	}
}

// TestBodyLimitFollowsStaff: a limit staff change reaches the gateway
// through the database's notification, both ways.
func TestBodyLimitFollowsStaff(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	tok := f.token(t, "dev@harbor.test", "sandbox", "maintenance/maintenance:write").Plaintext
	body := f.workOrder(8 << 10)
	post := func() int {
		status, _, err := f.send(t, "/sandbox/maintenance/work-orders", tok, "application/json", strings.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	if got := post(); got != 201 {
		t.Fatalf("8 KiB under the default 1 MiB = %d, want 201", got)
	}
	for _, tc := range []struct {
		limit int64
		want  int
	}{{4 << 10, 413}, {16 << 10, 201}} {
		f.setLimit(t, "maintenance", tc.limit)
		deadline := time.Now().Add(5 * time.Second)
		for post() != tc.want {
			if time.Now().After(deadline) {
				t.Fatalf("limit %d: 8 KiB body not answered %d within 5 s", tc.limit, tc.want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestLargeBodiesPerPartner: a partner has a few large bodies in flight
// per node; one more waits its turn (429 with Retry-After), whether its
// length was declared (refused at once) or is found out while it is read
// (refused then); other partners are not affected, and places are given
// back.
func TestLargeBodiesPerPartner(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	f.gw.LargeBodies = 1
	harbor := f.token(t, "dev@harbor.test", "sandbox", "maintenance/maintenance:write").Plaintext
	// Crane is not granted Maintenance: grant its developer the group, so
	// that its bodies are read and need places of their own.
	if _, err := f.st.DB().Exec(`INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name = 'Port operations' AND u.email = 'dev@crane.test'`); err != nil {
		t.Fatal(err)
	}
	crane := f.token(t, "dev@crane.test", "sandbox", "maintenance/maintenance:write").Plaintext

	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	first := make(chan int, 1)
	go func() {
		// Over 64 KiB before it stops: the gateway has read that much.
		req, _ := http.NewRequest("POST", f.srv.URL+"/sandbox/maintenance/work-orders",
			&chunked{prefix: `{"title":"` + strings.Repeat("A", 80<<10), block: release, n: 10, suffix: `"}`})
		req.Header.Set("Authorization", "Bearer "+harbor)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-Signal", "1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	// Wait until the first call holds Harbor's one place (the gateway read
	// over 64 KiB of it and asks for more). Probing with second bodies
	// before that raced: a probe holding the place just when the first
	// body grew large had the first refused, and every later probe passed.
	select {
	case <-f.holding:
	case got := <-first:
		t.Fatalf("the first call ended (%d) before it held Harbor's place", got)
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not read 64 KiB of the first body within 10 s")
	}
	large := f.workOrder(100 << 10)
	status, e, err := f.send(t, "/sandbox/maintenance/work-orders", harbor, "application/json", &chunked{prefix: large}, -1)
	if err != nil {
		status = int(f.status.Load())
	}
	if status != 429 || (err == nil && e.Error.Code != "too_many_large_bodies") {
		t.Fatalf("second large chunked body of Harbor = %d %s, want 429 too_many_large_bodies", status, e.Error.Code)
	}
	status, e, err = f.send(t, "/sandbox/maintenance/work-orders", harbor, "application/json", strings.NewReader(large), int64(len(large)))
	if err != nil {
		t.Fatal(err)
	}
	if status != 429 || e.Error.Code != "too_many_large_bodies" {
		t.Fatalf("large body of declared length = %d %s, want 429 too_many_large_bodies", status, e.Error.Code)
	}
	// Small bodies of unknown length take no place.
	if status, e, _ := f.send(t, "/sandbox/maintenance/work-orders", harbor, "application/json", &chunked{prefix: f.workOrder(1000)}, -1); status != 201 {
		t.Errorf("small chunked body of Harbor = %d %s, want 201", status, e.Error.Code)
	}
	// Crane's large bodies are its own: read (validated) while Harbor's
	// place is taken, chunked and of declared length.
	craneWO := f.workOrder(100 << 10)
	// (Read whole and judged on its content: its title is too long.)
	if status, e, _ := f.send(t, "/sandbox/maintenance/work-orders", crane, "application/json", &chunked{prefix: craneWO}, -1); status == 429 || status >= 500 {
		t.Errorf("Crane's large chunked body while Harbor's place is taken = %d %s, want it read and judged", status, e.Error.Code)
	}
	if status, e, _ := f.send(t, "/sandbox/maintenance/work-orders", crane, "application/json", strings.NewReader(craneWO), int64(len(craneWO))); status == 429 || status >= 500 {
		t.Errorf("Crane's large body of declared length while Harbor's place is taken = %d %s, want it read and judged", status, e.Error.Code)
	}
	unblock()
	if got := <-first; got != 400 {
		t.Errorf("first call = %d, want 400 (its title is too long)", got)
	}
	for _, body := range []func() (io.Reader, int64){
		func() (io.Reader, int64) { return &chunked{prefix: large}, -1 },
		func() (io.Reader, int64) { return strings.NewReader(large), int64(len(large)) },
	} {
		r, n := body()
		if status, _, _ := f.send(t, "/sandbox/maintenance/work-orders", harbor, "application/json", r, n); status != 201 {
			t.Errorf("Harbor's next large body (length %d) = %d, want 201: the place was not given back", n, status)
		}
	}
}

// TestSmallChunkedBodiesTakeNoPlace: a body of unknown length counts as
// large only once more than 64 KiB of it was read: a partner's many small
// chunked calls (HTTP/2 clients often send no length) all go through.
func TestSmallChunkedBodiesTakeNoPlace(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	f.gw.LargeBodies = 1
	harbor := f.token(t, "dev@harbor.test", "sandbox", "maintenance/maintenance:write").Plaintext
	release := make(chan struct{})
	defer close(release)
	go func() {
		req, _ := http.NewRequest("POST", f.srv.URL+"/sandbox/maintenance/work-orders",
			&chunked{prefix: `{"title":"`, block: release, n: 10, suffix: `"}`})
		req.Header.Set("Authorization", "Bearer "+harbor)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Test-Signal", "1")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-f.reading:
	case <-time.After(10 * time.Second):
		t.Fatal("the gateway did not read the first body within 10 s")
	}
	const n = 6
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _, _ = f.send(t, "/sandbox/maintenance/work-orders", harbor, "application/json", &chunked{prefix: f.workOrder(2000)}, -1)
		}()
	}
	wg.Wait()
	if diff := cmp.Diff([]int{201, 201, 201, 201, 201, 201}, statuses); diff != "" {
		t.Errorf("small chunked bodies while another is in flight (-want +got):\n%s", diff)
	}
}

// hugeBody posts a 256 MiB chunked JSON body (one huge title, generated
// as it is sent) and returns the status the gateway answered (0 when the
// client saw the connection closed first) and how far the heap in use
// grew over its level before the call, sampled while the body was sent.
// (The gateway runs in this process: its heap is the test's.)
func hugeBody(t testing.TB, f *bodyFixture, path, tok string) (int, uint64) {
	t.Helper()
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		for p := peak.Load(); m.HeapInuse > p && !peak.CompareAndSwap(p, m.HeapInuse); p = peak.Load() {
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				sample()
			}
		}
	}()
	f.status.Store(0)
	status, _, err := f.send(t, path, tok, "application/json", &chunked{prefix: `{"spreader_id":"` + f.spreader + `","type":"corrective","priority":"high","title":"`, n: 256 << 20, suffix: `"}`, sample: sample}, -1)
	if err != nil {
		// The gateway closes the connection after its answer rather than
		// read the rest: the client may see that first.
		t.Logf("client: %v", err)
		status = int(f.status.Load())
	}
	close(stop)
	wg.Wait()
	sample()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	after := ms.HeapInuse
	grew := uint64(0)
	if p := max(peak.Load(), after); p > base {
		grew = p - base
	}
	return status, grew
}

// TestHugeBodyMemory: the probe's 256 MiB body, on the sandbox and on
// both kinds of live call, is refused with 413 while the heap grows by
// less than 64 MiB over the API's (default, 1 MiB) limit.
func TestHugeBodyMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends up to 256 MiB per case")
	}
	f := newBodyFixture(t)
	sbx := f.token(t, "dev@harbor.test", "sandbox", "maintenance/maintenance:write").Plaintext
	live := f.token(t, "dev@harbor.test", "live", "maintenance/maintenance:write", "uploads/uploads:write").Plaintext
	for _, tc := range []struct{ name, path, tok string }{
		{"sandbox", "/sandbox/maintenance/work-orders", sbx},
		{"live validated", "/live/maintenance/work-orders", live},
		{"live streamed", "/live/uploads/files", live},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, grew := hugeBody(t, f, tc.path, tc.tok)
			t.Logf("heap in use grew by %.1f MiB", float64(grew)/(1<<20))
			if status != 413 {
				t.Errorf("status = %d, want 413", status)
			}
			if grew >= 64<<20 {
				t.Errorf("heap in use grew by %d MiB, want under 64 MiB", grew>>20)
			}
			if got := f.up.gotFor(t.Name()); got > store.DefaultMaxBody {
				t.Errorf("the upstream received %d bytes, want at most the 1 MiB limit", got)
			}
		})
	}
}

// BenchmarkHugeBody reports the heap growth of refusing one 256 MiB
// chunked body on the sandbox.
func BenchmarkHugeBody(b *testing.B) {
	f := newBodyFixture(b)
	tok := f.token(b, "dev@harbor.test", "sandbox", "maintenance/maintenance:write").Plaintext
	var worst uint64
	for b.Loop() {
		status, grew := hugeBody(b, f, "/sandbox/maintenance/work-orders", tok)
		if status != 413 {
			b.Fatalf("status = %d, want 413", status)
		}
		worst = max(worst, grew)
	}
	b.ReportMetric(float64(worst)/(1<<20), "heap-MiB")
}

// TestValidatedChunkedBodyHoldsItsPlace: a chunked body that the gateway
// validates is in memory once read: it keeps its partner's place until the
// call ends, not only while it is read, so the places bound the memory of
// bodies in flight (a probe had three 200 KiB bodies at the upstream at
// once with one place).
func TestValidatedChunkedBodyHoldsItsPlace(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	f.gw.LargeBodies = 1
	release := make(chan struct{})
	arrived := make(chan struct{}, 3)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusCreated)
	}))
	defer up.Close()
	f.setUpstream(t, "maintenance", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "maintenance/maintenance:write").Plaintext
	body := f.workOrder(200 << 10)
	statuses := make(chan int, 3)
	for range 3 {
		go func() {
			status, _, _ := f.send(t, "/live/maintenance/work-orders", live, "application/json", &chunked{prefix: body}, -1)
			statuses <- status
		}()
	}
	// One reaches the upstream; the other two are refused while it holds
	// the place.
	<-arrived
	for range 2 {
		select {
		case got := <-statuses:
			if got != http.StatusTooManyRequests {
				t.Errorf("a second large body while the first is at the upstream = %d, want 429", got)
			}
		case <-arrived:
			t.Errorf("a second large body reached the upstream while the first held the only place")
		case <-time.After(10 * time.Second):
			t.Fatal("no answer to the second and third large bodies")
		}
	}
	close(release)
	if t.Failed() {
		return
	}
	if got := <-statuses; got != http.StatusCreated {
		t.Errorf("the first large body = %d, want 201", got)
	}
}
