package gateway_test

import (
	"bufio"
	"io"
	"net"
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

// cutOff reads from conn until the edge closes it (an answer first, if
// any, is read and dropped) and returns how long that took; it fails the
// test past bound.
func cutOff(t *testing.T, conn net.Conn, bound time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(bound))
	_, err := io.Copy(io.Discard, bufio.NewReader(conn))
	took := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection was still open after %v", bound)
	}
	return took
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
			cutOff(t, conn, c.after+margin)
			took := time.Since(start)
			t.Logf("cut off after %v", took.Round(10*time.Millisecond))
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
	const header, read, idle = 500 * time.Millisecond, 1500 * time.Millisecond, 700 * time.Millisecond
	e := newEdge(t, handlers.ServerTimeouts{ReadHeader: header, Read: read, Idle: idle})
	slowClientCases(t, e, header, read, idle)
}
