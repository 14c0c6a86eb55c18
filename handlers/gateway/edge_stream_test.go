package gateway_test

import (
	"bufio"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
)

// post sends an empty POST marked mark to e's live path through a client
// of its own and returns the response, its body unread.
func (e *edge) post(t *testing.T, mark string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://"+e.addr+e.path, nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("X-Mark", mark)
	// An edge holding the answer back would hold its headers too.
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true, ResponseHeaderTimeout: 5 * time.Second}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 {
		t.Fatalf("status = %d, want 200", resp.StatusCode)
	}
	return resp
}

// streamCases: e passes streamed upstream answers through as they come,
// its upstream answering as streaming made it.
func streamCases(t *testing.T, e *edge, next, more chan struct{}, size int64) {
	t.Run("server-sent events", func(t *testing.T) {
		resp := e.post(t, "sse")
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("Content-Type = %q", ct)
		}
		br := bufio.NewReader(resp.Body)
		got := make(chan string, 2)
		go func() {
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					close(got)
					return
				}
				if line != "\n" {
					got <- line
				}
			}
		}()
		select {
		case ev := <-got:
			if ev != "data: one\n" {
				t.Errorf("first event %q, want data: one", ev)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("the first event did not arrive within 3 s while the upstream held the second")
		}
		close(next)
		if ev := <-got; ev != "data: two\n" {
			t.Errorf("second event %q, want data: two", ev)
		}
	})
	t.Run("50 MB body", func(t *testing.T) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		base := ms.HeapInuse
		var peak atomic.Uint64
		sample := func() {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			peak.Store(max(peak.Load(), m.HeapInuse))
		}
		resp := e.post(t, "big")
		if resp.ContentLength != size {
			t.Errorf("Content-Length = %d, want %d", resp.ContentLength, size)
		}
		var n int64
		var once sync.Once
		// A gateway holding the answer whole would never pass the first
		// half on: give up on it after 5 s.
		var stuck atomic.Bool
		held := time.AfterFunc(5*time.Second, func() { stuck.Store(true); resp.Body.Close() })
		defer held.Stop()
		buf := make([]byte, 64<<10)
		for {
			k, err := resp.Body.Read(buf)
			if n/(4<<20) != (n+int64(k))/(4<<20) {
				sample()
			}
			n += int64(k)
			// Bytes within the edge's buffers (a few KiB) may wait for
			// the second half.
			if n >= size/2-1<<20 {
				once.Do(func() { held.Stop(); close(more) })
			}
			if err != nil {
				break
			}
		}
		if stuck.Load() {
			t.Fatalf("the first half did not arrive within 5 s while the upstream held the second (%d bytes did)", n)
		}
		if n != size {
			t.Errorf("received %d bytes, want %d", n, size)
		}
		grew := int64(peak.Load()) - int64(base)
		t.Logf("heap in use grew by %.1f MiB while %d MiB went through", float64(grew)/(1<<20), size>>20)
		if grew > 16<<20 {
			t.Errorf("heap in use grew by %d MiB passing %d MiB on, want under 16 MiB", grew>>20, size>>20)
		}
	})
}

// TestStreamedAnswers: the shipped server passes an upstream's events
// through one by one, and 50 MB without holding them. Not parallel: the
// heap measured is the test process's.
func TestStreamedAnswers(t *testing.T) {
	e := newEdge(t, handlers.ServerTimeouts{})
	const size = 50 << 20
	next, more := make(chan struct{}), make(chan struct{})
	streaming(e.up, next, more, size)
	streamCases(t, e, next, more, size)
}

// streaming makes u answer as streamCases expects: a call marked "sse"
// with two server-sent events, the second once next is closed; one
// marked "big" with size bytes of a known length, the second half once
// more is closed.
func streaming(u *recorder, next, more chan struct{}, size int) {
	block := make([]byte, 64<<10)
	u.answer = func(w http.ResponseWriter, r *http.Request) bool {
		switch r.Header.Get("X-Mark") {
		case "sse":
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: one\n\n")
			w.(http.Flusher).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return true
			}
			_, _ = io.WriteString(w, "data: two\n\n")
		case "big":
			w.Header().Set("Content-Length", strconv.Itoa(size))
			for sent := 0; sent < size; sent += len(block) {
				if sent == size/2 {
					select {
					case <-more:
					case <-r.Context().Done():
						return true
					}
				}
				if _, err := w.Write(block); err != nil {
					return true
				}
			}
		default:
			return false
		}
		return true
	}
}

// TestLongAnswers: the server's write timeout bounds how long a client
// may take to read, not how long an answer may last: an event stream
// and a large answer read steadily go on past it; a client that stops
// reading is cut off.
func TestLongAnswers(t *testing.T) {
	t.Parallel()
	const write = time.Second
	e := newEdge(t, handlers.ServerTimeouts{Write: write})
	const events, size = 8, 32 << 20 // more than loopback's socket buffers hold
	block := make([]byte, 64<<10)
	e.up.answer = func(w http.ResponseWriter, r *http.Request) bool {
		switch r.Header.Get("X-Mark") {
		case "events":
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range events {
				_, _ = io.WriteString(w, "data: "+strconv.Itoa(i)+"\n\n")
				w.(http.Flusher).Flush()
				time.Sleep(250 * time.Millisecond)
			}
		case "large", "stuck":
			w.Header().Set("Content-Length", strconv.Itoa(size))
			for sent := 0; sent < size; sent += len(block) {
				if _, err := w.Write(block); err != nil {
					return true
				}
			}
		default:
			return false
		}
		return true
	}
	t.Run("event stream of 2 s", func(t *testing.T) {
		t.Parallel()
		resp := e.post(t, "events")
		sc := bufio.NewScanner(resp.Body)
		got := 0
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				got++
			}
		}
		if got != events {
			t.Errorf("received %d events of %d (%v): the stream was cut off", got, events, sc.Err())
		}
	})
	t.Run("32 MiB read in 2 s", func(t *testing.T) {
		t.Parallel()
		resp := e.post(t, "large")
		var n int64
		for {
			k, err := io.CopyN(io.Discard, resp.Body, 1<<20)
			n += k
			if err != nil {
				break
			}
			time.Sleep(60 * time.Millisecond)
		}
		if n != size {
			t.Errorf("received %d bytes of %d: the answer was cut off", n, size)
		}
	})
	t.Run("client that stops reading", func(t *testing.T) {
		t.Parallel()
		resp := e.post(t, "stuck")
		time.Sleep(write + 2*time.Second)
		n, err := io.Copy(io.Discard, resp.Body)
		if err == nil {
			t.Errorf("received all %d bytes after not reading for %v, want the answer cut off", n, write+2*time.Second)
		}
	})
}
