package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
)

// trickle writes s to conn a byte every interval until it is written or
// the connection fails; it returns at once.
func trickle(conn net.Conn, s string, interval time.Duration) {
	go func() {
		for i := range len(s) {
			if _, err := io.WriteString(conn, s[i:i+1]); err != nil {
				return
			}
			time.Sleep(interval)
		}
	}()
}

// cutOff reads from conn until the edge closes it and returns the status
// of the answer it gave first (0: none); it fails the test past bound.
func cutOff(t *testing.T, conn net.Conn, bound time.Duration) int {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(bound))
	br := bufio.NewReader(conn)
	status := 0
	if resp, err := http.ReadResponse(br, nil); err == nil {
		status = resp.StatusCode
	}
	_, err := io.Copy(io.Discard, br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after %v", bound)
	}
	return status
}

// slowClientCases cut off slow clients of e, whose header timeout is
// header and whose whole-request timeout is read: each must be cut off
// after its timeout (not before) and well within bound of it.
func slowClientCases(t *testing.T, e *edge, header, read, idle time.Duration) {
	const margin = 2 * time.Second
	r := rawReq{e: e, mark: "slow"}
	for _, c := range []struct {
		name string
		// sent at once, then trickled a byte every 100 ms
		at, trickled string
		after        time.Duration
		upstream     upstreamSees
	}{
		{"slow headers", "POST " + e.path + " HTTP/1.1\r\n", "Host: portico.test\r\nX-Pad: " + strings.Repeat("a", 200), header, nothing},
		{"slow body", r.headOf("slow body", cl(100)), strings.Repeat("a", 100), read, incomplete},
		{"slow chunked body", r.headOf("slow chunked body", "Transfer-Encoding: chunked"), "64\r\n" + strings.Repeat("a", 100), read, incomplete},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", e.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			if _, err := io.WriteString(conn, c.at); err != nil {
				t.Fatal(err)
			}
			trickle(conn, c.trickled, 100*time.Millisecond)
			status := cutOff(t, conn, c.after+margin)
			took := time.Since(start)
			t.Logf("cut off after %v, answered %d", took.Round(10*time.Millisecond), status)
			// Cut off is the client's doing: no success, nor an error of
			// the gateway's or the upstream's (5xx).
			if status != 0 && (status < 400 || status >= 500) {
				t.Errorf("answered %d, want the connection closed or a 4xx", status)
			}
			if took < c.after-50*time.Millisecond {
				t.Errorf("cut off after %v, before its timeout of %v", took, c.after)
			}
			checkUpstream(t, e, c.upstream, e.up.seen(c.name))
		})
	}
	t.Run("idle connection", func(t *testing.T) {
		t.Parallel()
		conn, err := net.Dial("tcp", e.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := io.WriteString(conn, r.headOf("idle", cl(0))); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		if status, _, closed := readAnswer(t, conn, br); closed || status != 201 {
			t.Fatalf("answer: closed %v, status %d; want 201", closed, status)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(start.Add(idle + margin))
		_, err = br.ReadByte()
		took := time.Since(start)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the idle connection was still open after %v", idle+margin)
		}
		t.Logf("closed after %v idle", took.Round(10*time.Millisecond))
		if took < idle-50*time.Millisecond {
			t.Errorf("closed after %v idle, before its timeout of %v", took, idle)
		}
	})
}

// TestSlowClients: the shipped server, with short timeouts, cuts off a
// client sending its headers or its body a byte at a time, and an idle
// kept-alive connection.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	// read is longer than header with the margin: a server without its
	// header timeout would cut slow headers off too late.
	const header, read, idle = 500 * time.Millisecond, 3 * time.Second, 700 * time.Millisecond
	e := newEdge(t, handlers.ServerTimeouts{ReadHeader: header, Read: read, Idle: idle})
	slowClientCases(t, e, header, read, idle)
}

// paced writes head, then n bytes of body (framed as chunks when chunked)
// in blocks of block bytes every interval, and returns at once.
func paced(conn net.Conn, head string, n, block int, interval time.Duration, chunked bool) {
	go func() {
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		b := strings.Repeat("a", block)
		for sent := 0; sent < n; sent += block {
			s := b
			if chunked {
				s = strconv.FormatInt(int64(block), 16) + "\r\n" + b + "\r\n"
			}
			if _, err := io.WriteString(conn, s); err != nil {
				return
			}
			time.Sleep(interval)
		}
		if chunked {
			_, _ = io.WriteString(conn, "0\r\n\r\n")
		}
	}()
}

// TestUploadLongerThanReadTimeout: a large body arriving steadily, at
// more than the minimum rate, goes through however long it takes past
// the server's read timeout; the answer is not cut off by the write
// timeout either. A body arriving slower than that rate is cut off.
func TestUploadLongerThanReadTimeout(t *testing.T) {
	t.Parallel()
	const read, rate = 500 * time.Millisecond, 64 << 10
	e := newEdgeLimit(t, handlers.ServerTimeouts{Read: read, Write: read, MinBodyRate: rate}, 1<<20)
	for _, c := range []struct {
		name      string
		chunked   bool
		interval  time.Duration
		status    int
		upstream  upstreamSees
		minTaking time.Duration
	}{
		// 384 KiB at 192 KiB/s: 2 s, four times the read timeout.
		{"steady, declared length", false, 100 * time.Millisecond, 201, whole, 4 * read},
		{"steady, chunked", true, 100 * time.Millisecond, 201, whole, 4 * read},
		// 16 KiB/s, a quarter of the minimum rate: cut off (closed, or
		// answered with an error, then closed) once the first block's
		// time (750 ms) has passed.
		{"too slow, declared length", false, time.Second, 0, incomplete, 0},
		{"too slow, chunked", true, time.Second, 0, incomplete, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", e.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			const n, block = 384 << 10, 16 << 10
			framing := cl(n)
			if c.chunked {
				framing = "Transfer-Encoding: chunked"
			}
			start := time.Now()
			paced(conn, rawReq{e: e}.headOf(c.name, framing), n, block, c.interval, c.chunked)
			br := bufio.NewReader(conn)
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(br, nil)
			took := time.Since(start)
			switch {
			case c.status == 0 && err == nil && resp.StatusCode < 400:
				t.Errorf("answered %d after %v, want it cut off", resp.StatusCode, took)
			case c.status == 0 && took > read+2*time.Second:
				t.Errorf("cut off after %v, want it within 2 s of its deadline", took)
			case c.status != 0 && err != nil:
				t.Errorf("cut off after %v (%v), want %d", took, err, c.status)
			case c.status != 0 && resp.StatusCode != c.status:
				t.Errorf("status %d after %v, want %d", resp.StatusCode, took, c.status)
			case took < c.minTaking:
				t.Errorf("answered after %v: the body was not sent slowly enough to prove anything", took)
			}
			if err == nil {
				raw, _ := io.ReadAll(resp.Body)
				t.Logf("answered %d after %v: %s", resp.StatusCode, took.Round(10*time.Millisecond), raw)
			} else {
				t.Logf("cut off after %v", took.Round(10*time.Millisecond))
			}
			checkUpstream(t, e, c.upstream, e.up.seen(c.name))
		})
	}
}
