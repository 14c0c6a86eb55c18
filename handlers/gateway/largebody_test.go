package gateway_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/handlers/gateway"
)

// hangingUp is an upstream that reads the whole body before it answers and
// drops the connection, without an answer, when the body is cut short (as
// a buffering proxy in front of an API does).
func hangingUp(t testing.TB) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			conn, _, herr := http.NewResponseController(w).Hijack()
			if herr == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(up.Close)
	return up
}

// TestRefusedBodyIsNotLogged: a live body refused while it is streamed is
// the caller's doing, answered 413, not the upstream's failure: anyone
// could fill the log with it.
func TestRefusedBodyIsNotLogged(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	const limit = 4 << 10
	f.setLimit(t, "uploads", limit)
	f.setUpstream(t, "uploads", hangingUp(t).URL)
	live := f.token(t, "dev@harbor.test", "live", "uploads/uploads:write").Plaintext
	for range 3 {
		status, e, err := f.send(t, "/live/uploads/files", live, "application/octet-stream", &chunked{n: 1 << 20}, -1)
		if err != nil {
			status = int(f.status.Load())
		}
		if status != 413 {
			t.Fatalf("status = %d %s, want 413", status, e.Error.Code)
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, "upstream failed") {
		t.Errorf("refused bodies logged as upstream failures:\n%s", logs)
	}
}

// TestLiveBodyIsStreamed: a live body with nothing to validate reaches the
// upstream while the caller is still sending it: the gateway holds none of
// it (a body up to the API's limit, per call, would otherwise sit in its
// memory).
func TestLiveBodyIsStreamed(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	got := make(chan struct{})
	var once sync.Once
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [1]byte
		if _, err := io.ReadFull(r.Body, b[:]); err == nil {
			once.Do(func() { close(got) })
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "uploads", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "uploads/uploads:write").Plaintext
	release := make(chan struct{})
	done := make(chan int, 1)
	go func() {
		status, _, _ := f.send(t, "/live/uploads/files", live, "application/octet-stream",
			&chunked{prefix: "first bytes", block: release, n: 10}, -1)
		done <- status
	}()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Error("the upstream got nothing of the body within 5 s while the caller was sending it")
	}
	close(release)
	if status := <-done; status != 201 {
		t.Errorf("status = %d, want 201", status)
	}
}

// placeUp is an upstream for large-body places: it reads 70 KiB of the
// body (past the 64 KiB that make it large), then tells past for a call
// marked X-Signal, aborts its answer midway for one marked X-Abort, and
// otherwise reads the rest and answers 201 (dropping the connection when
// the body is cut short).
func placeUp(t testing.TB, past chan struct{}) *httptest.Server {
	var once sync.Once
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n, _ := io.CopyN(io.Discard, r.Body, 70<<10); n == 70<<10 && r.Header.Get("X-Signal") != "" {
			once.Do(func() { close(past) })
		}
		if r.Header.Get("X-Abort") != "" {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(up.Close)
	return up
}

// post sends a chunked body to path with extra headers; the status is the
// gateway's (seen on its side when the client saw the connection closed).
func (f *bodyFixture) post(t testing.TB, path, tok string, body io.Reader, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, body)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/octet-stream")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return int(f.status.Load()), ""
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e errorBody
	_ = json.Unmarshal(raw, &e)
	return resp.StatusCode, e.Error.Code
}

// TestLiveLargeBodyPlaces: a streamed live body takes its partner's place
// once it is large, a second one is refused 429 midway (without a log
// line), and the place is given back when the first ends, even when the
// upstream's answer was cut off.
func TestLiveLargeBodyPlaces(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	f.gw.LargeBodies = 1
	past := make(chan struct{})
	f.setUpstream(t, "uploads", placeUp(t, past).URL)
	live := f.token(t, "dev@harbor.test", "live", "uploads/uploads:write").Plaintext
	const path = "/live/uploads/files"

	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock()
	first := make(chan int, 1)
	go func() {
		status, _ := f.post(t, path, live, &chunked{prefix: strings.Repeat("x", 80<<10), block: release, n: 10}, "X-Signal", "1")
		first <- status
	}()
	select {
	case <-past:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream did not get 70 KiB of the first body within 10 s")
	}
	if status, code := f.post(t, path, live, &chunked{n: 200 << 10}); status != 429 || (code != "" && code != "too_many_large_bodies") {
		t.Errorf("second large body = %d %s, want 429 too_many_large_bodies", status, code)
	}
	if status, _ := f.post(t, path, live, &chunked{n: 10 << 10}); status != 201 {
		t.Errorf("small body = %d, want 201", status)
	}
	unblock()
	if got := <-first; got != 201 {
		t.Errorf("first call = %d, want 201", got)
	}
	for i := range 3 {
		f.post(t, path, live, &chunked{n: 200 << 10}, "X-Abort", "1")
		if status, _ := f.post(t, path, live, &chunked{n: 200 << 10}); status != 201 {
			t.Fatalf("large body after an aborted one (round %d) = %d, want 201: the place was not given back", i, status)
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, "upstream failed") {
		t.Errorf("refused bodies logged as upstream failures:\n%s", logs)
	}
}

// panicky is a sandbox backend that reads 100 KiB of the body, then fails
// for a call marked X-Panic.
type panicky struct{}

func (panicky) Serve(w http.ResponseWriter, r *http.Request, _ gateway.SandboxRequest) {
	if _, err := io.CopyN(io.Discard, r.Body, 100<<10); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if r.Header.Get("X-Panic") != "" {
		panic("backend failed")
	}
	_, _ = io.Copy(io.Discard, r.Body)
	w.WriteHeader(http.StatusCreated)
}

// TestLargeBodyPlaceAfterPanic: a backend that fails while it reads a
// large body gives its place back.
func TestLargeBodyPlaceAfterPanic(t *testing.T) {
	t.Parallel()
	f := newBodyFixtureWith(t, panicky{})
	f.gw.LargeBodies = 1
	sbx := f.token(t, "dev@harbor.test", "sandbox", "uploads/uploads:write").Plaintext
	for i := range 3 {
		if status, _ := f.post(t, "/sandbox/uploads/files", sbx, &chunked{n: 200 << 10}, "X-Panic", "1"); status != 500 {
			t.Fatalf("failing backend = %d, want 500", status)
		}
		if status, _ := f.post(t, "/sandbox/uploads/files", sbx, &chunked{n: 200 << 10}); status != 201 {
			t.Fatalf("large body after a failed one (round %d) = %d, want 201: the place was not given back", i, status)
		}
	}
}

// TestCutOffBodyIsNotLogged: a caller that stops sending its live body
// midway (and goes away) is not an upstream failure: anyone could fill the
// log with it.
func TestCutOffBodyIsNotLogged(t *testing.T) {
	t.Parallel()
	f := newBodyFixture(t)
	got := make(chan struct{}, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [1]byte
		if _, err := io.ReadFull(r.Body, b[:]); err == nil {
			got <- struct{}{}
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(up.Close)
	f.setUpstream(t, "uploads", up.URL)
	live := f.token(t, "dev@harbor.test", "live", "uploads/uploads:write").Plaintext
	chunk := strings.Repeat("x", 1024)
	for _, framing := range []string{
		"Transfer-Encoding: chunked\r\n\r\n400\r\n" + chunk + "\r\n",
		"Content-Length: 100000\r\n\r\n" + chunk,
	} {
		for range 3 {
			f.status.Store(0)
			c, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "POST /live/uploads/files HTTP/1.1\r\nHost: portal.test\r\nAuthorization: Bearer %s\r\nContent-Type: application/octet-stream\r\n%s", live, framing)
			// Once the upstream has some of it, go away.
			select {
			case <-got:
			case <-time.After(10 * time.Second):
				t.Fatal("the upstream got nothing of the body within 10 s")
			}
			c.Close()
			// The gateway answers (or finds its caller gone) soon after.
			deadline := time.Now().Add(time.Second)
			for f.status.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	if logs := f.logs.String(); strings.Contains(logs, "upstream failed") {
		t.Errorf("bodies cut off by the caller logged as upstream failures:\n%s", logs)
	}
}
