package gateway_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/handlers"
)

// upstreamSees is what the upstream may receive of an edge case's own
// request.
type upstreamSees int

const (
	nothing    upstreamSees = iota // no request at all
	incomplete                     // at most the body limit, never the whole body
	whole                          // the request, its body whole, once
	atMostOnce                     // refused, cut off, or served once (as the edge framed it)
)

// edgeCase is one raw exchange with an edge: raw is sent on a new
// connection; the first answer (or the connection closing) is checked;
// then a follow-up request is sent on the same connection. Whatever the
// case, the upstream never receives the request smuggled in it (marked
// mark+"/smuggled"); unless keepAlive, the connection is closed after the
// first answer and the follow-up never served.
type edgeCase struct {
	name string
	raw  func(r rawReq) string
	// answer lists the statuses accepted for the first answer; 0 stands
	// for the connection closed without one.
	answer []int
	// code, when set, is the JSON error code the answer must carry (an
	// answer of the gateway's own, not of the HTTP server's).
	code     string
	upstream upstreamSees
	// keepAlive: the request's framing is unambiguous, so once it was
	// served (2xx) the follow-up is answered on the same connection (201)
	// like any second request.
	keepAlive bool
}

// rawReq builds the raw requests of one case on one edge.
type rawReq struct {
	e    *edge
	mark string
}

// head is a POST of the edge's live path, marked, with the extra header
// lines, up to and including the blank line.
func (r rawReq) head(extra ...string) string {
	return r.headOf(r.mark, extra...)
}

func (r rawReq) headOf(mark string, extra ...string) string {
	s := "POST " + r.e.path + " HTTP/1.1\r\nHost: portico.test\r\nAuthorization: Bearer " + r.e.token + "\r\nX-Mark: " + mark + "\r\n"
	for _, h := range extra {
		s += h + "\r\n"
	}
	return s + "\r\n"
}

// smuggled is a whole request of its own, marked mark+"/smuggled": an
// edge that frames a body differently from a proxy in front of it serves
// it as a second request.
func (r rawReq) smuggled() string {
	return r.headOf(r.mark+"/smuggled", "Content-Length: 0")
}

// endThenSmuggled is a chunked body that ends at once, followed by the
// smuggled request: one body under Content-Length, a body and a second
// request under chunked framing.
func (r rawReq) endThenSmuggled() string { return "0\r\n\r\n" + r.smuggled() }

func cl(n int) string { return "Content-Length: " + strconv.Itoa(n) }

// edgeCases are the raw exchanges every edge must pass.
func edgeCases() []edgeCase {
	const te = "Transfer-Encoding: chunked"
	return []edgeCase{
		// Request smuggling: Content-Length with Transfer-Encoding.
		// RFC 9112 §6.1: a server may process such a request by its
		// Transfer-Encoding alone, but must close the connection after
		// answering it.
		{name: "CL then TE", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), te) + b
		}, answer: []int{400, 201}, upstream: atMostOnce},
		{name: "TE then CL", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(te, cl(len(b))) + b
		}, answer: []int{400, 201}, upstream: atMostOnce},
		{name: "CL then TE, upstream sends 103 first", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), te, "X-Early-Hints: 1") + b
		}, answer: []int{400, 201}, upstream: atMostOnce},
		{name: "TE.CL: short CL, chunked body", raw: func(r rawReq) string {
			s := r.smuggled()
			b := strconv.FormatInt(int64(len(s)), 16) + "\r\n" + s + "\r\n0\r\n\r\n"
			return r.head(cl(4), te) + b
		}, answer: []int{400, 201}, upstream: atMostOnce},
		{name: "TE with tab and CL", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), "Transfer-Encoding:\tchunked") + b
		}, answer: []int{400, 201}, upstream: atMostOnce},
		// Two Content-Lengths.
		{name: "two different CLs", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(5), cl(len(b))) + b
		}, answer: []int{400}},
		{name: "CL list of two values", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head("Content-Length: 5, "+strconv.Itoa(len(b))) + b
		}, answer: []int{400}},
		// Identical Content-Lengths frame the body the same way for
		// every reader: RFC 9110 §8.6 lets a recipient reject them or
		// take them as one. Taken as one: the smuggled request is
		// body, and the connection stays usable.
		{name: "two identical CLs", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), cl(len(b))) + b
		}, answer: []int{201}, upstream: whole, keepAlive: true},
		{name: "CL with a sign", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head("Content-Length: +"+strconv.Itoa(len(b))) + b
		}, answer: []int{400}},
		// Transfer-Encoding other than chunked, or obfuscated.
		{name: "TE gzip", raw: func(r rawReq) string {
			return r.head("Transfer-Encoding: gzip") + r.endThenSmuggled()
		}, answer: []int{400, 501}},
		{name: "TE chunked, identity", raw: func(r rawReq) string {
			return r.head("Transfer-Encoding: chunked, identity") + r.endThenSmuggled()
		}, answer: []int{400, 501}},
		{name: "TE identity, chunked", raw: func(r rawReq) string {
			return r.head("Transfer-Encoding: identity, chunked") + r.endThenSmuggled()
		}, answer: []int{400, 501}},
		{name: "TE xchunked and CL", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), "Transfer-Encoding: xchunked") + b
		}, answer: []int{400, 501}},
		{name: "space before the colon", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), "Transfer-Encoding : chunked") + b
		}, answer: []int{400}},
		{name: "two TE headers", raw: func(r rawReq) string {
			return r.head(te, te) + r.endThenSmuggled()
		}, answer: []int{400, 501}},
		{name: "TE identity then TE chunked", raw: func(r rawReq) string {
			return r.head("Transfer-Encoding: identity", te) + r.endThenSmuggled()
		}, answer: []int{400, 501}},
		{name: "TE on HTTP/1.0 keep-alive", raw: func(r rawReq) string {
			// RFC 9112 §6.1: framing faulty, close after answering.
			h := strings.Replace(r.head("Connection: keep-alive", te), "HTTP/1.1", "HTTP/1.0", 1)
			return h + r.smuggled()
		}, answer: []int{400, 201}, upstream: atMostOnce},
		// obs-fold: a header line starting with whitespace continues the
		// one before (RFC 9112 §5.2: reject, or replace it with spaces).
		{name: "obs-fold TE value", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), "Transfer-Encoding:", " chunked") + b
		}, answer: []int{400, 201}, upstream: atMostOnce},
		{name: "obs-fold TE line", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), "X-Note: a", " Transfer-Encoding: chunked") + b
		}, answer: []int{400, 201}, upstream: atMostOnce, keepAlive: true},
		// Bad chunks: the body cannot be framed, nor anything after it.
		{name: "chunk size not hex", raw: func(r rawReq) string {
			return r.head(te) + "zz\r\nhello\r\n" + r.endThenSmuggled()
		}, answer: []int{400}, upstream: incomplete},
		{name: "chunk size negative", raw: func(r rawReq) string {
			return r.head(te) + "-5\r\nhello\r\n" + r.endThenSmuggled()
		}, answer: []int{400}, upstream: incomplete},
		{name: "chunk size overflowing", raw: func(r rawReq) string {
			return r.head(te) + "10000000000000005\r\nhello\r\n" + r.endThenSmuggled()
		}, answer: []int{400}, upstream: incomplete},
		{name: "chunk without its CRLF", raw: func(r rawReq) string {
			return r.head(te) + "5\r\nhelloX\r\n" + r.endThenSmuggled()
		}, answer: []int{400}, upstream: incomplete},
		{name: "chunk extension with a control byte", raw: func(r rawReq) string {
			return r.head(te) + "5;ext=\x01\x7f\r\nhello\r\n" + r.endThenSmuggled()
		}, answer: []int{400, 201}, upstream: atMostOnce},
		{name: "chunk size ended by a bare LF", raw: func(r rawReq) string {
			return r.head(te) + "5\nhello\r\n" + r.endThenSmuggled()
		}, answer: []int{400}, upstream: incomplete},
		// Line endings and bytes no header may hold.
		// RFC 9112 §2.2: a recipient may take a bare LF for a line end;
		// the Content-Length frames the body either way.
		{name: "bare LF line ends", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return strings.ReplaceAll(r.head(cl(len(b))), "\r\n", "\n") + b
		}, answer: []int{400, 201}, upstream: atMostOnce, keepAlive: true},
		{name: "bare CR in a header", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), "X-Note: a\rTransfer-Encoding: chunked") + b
		}, answer: []int{400}},
		{name: "NUL in a header", raw: func(r rawReq) string {
			b := r.endThenSmuggled()
			return r.head(cl(len(b)), "X-Note: a\x00b") + b
		}, answer: []int{400}},
		// Size limits.
		{name: "headers over the limit", raw: func(r rawReq) string {
			return r.head("X-Pad: "+strings.Repeat("a", int(r.e.maxHeader)+8<<10), "Content-Length: 0")
		}, answer: []int{431}},
		{name: "body over the limit, CL", raw: func(r rawReq) string {
			return r.head(cl(int(r.e.limit)+1)) + strings.Repeat("a", int(r.e.limit)+1)
		}, answer: []int{413, 0}, code: "body_too_large"},
		{name: "body over the limit, chunked", raw: func(r rawReq) string {
			n := int(r.e.limit) + 1
			return r.head(te) + strconv.FormatInt(int64(n), 16) + "\r\n" + strings.Repeat("a", n) + "\r\n0\r\n\r\n"
		}, answer: []int{413, 0}, code: "body_too_large", upstream: incomplete},
		// The baseline: a plain request keeps its connection.
		{name: "plain request", raw: func(r rawReq) string {
			return r.head(cl(5)) + "hello"
		}, answer: []int{201}, upstream: whole, keepAlive: true},
	}
}

// runEdgeCases runs cases against e, in parallel, and logs the answer each
// got (the table the edges are compared by).
func runEdgeCases(t *testing.T, e *edge, cases []edgeCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := rawReq{e: e, mark: strings.ReplaceAll(t.Name(), " ", "_")}
			got := exchangeRaw(t, e, c, r)
			t.Logf("answer: %s", got)
		})
	}
}

// exchangeRaw runs one case and returns its first answer as text.
func exchangeRaw(t *testing.T, e *edge, c edgeCase, r rawReq) string {
	t.Helper()
	conn, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The edge may stop reading (and close) before all is written.
	go func() { _, _ = io.WriteString(conn, c.raw(r)) }()
	br := bufio.NewReader(conn)
	status, code, closed := readAnswer(t, conn, br)
	seen := "closed"
	if !closed {
		seen = strconv.Itoa(status)
		if code != "" {
			seen += " " + code
		}
	}
	if !accepted(c.answer, status, closed) {
		t.Errorf("first answer: %s (code %q), want one of %v (0: closed)", seen, code, c.answer)
	}
	if c.code != "" && !closed && code != c.code {
		t.Errorf("error code = %q, want %q", code, c.code)
	}
	served := c.keepAlive && !closed && status/100 == 2
	if !closed {
		seen += ", then closed"
		if served {
			seen = strconv.Itoa(status) + ", kept alive"
		}
		_, _ = io.WriteString(conn, r.headOf(r.mark+"/follow-up", "Content-Length: 0"))
		status, _, closed = readAnswer(t, conn, br)
		switch {
		case served && (closed || status != 201):
			t.Errorf("follow-up on the same connection: closed %v, status %d; want 201", closed, status)
		case !served && !closed:
			t.Errorf("follow-up answered %d on the same connection: the connection was kept after an ambiguous request", status)
		}
	}
	if n := len(e.up.seen(r.mark + "/smuggled")); n > 0 {
		t.Errorf("the upstream received the smuggled request (%d times)", n)
	}
	if f := e.up.seen(r.mark + "/follow-up"); served != (len(f) == 1) {
		t.Errorf("the upstream received the follow-up %d times, want it %v", len(f), served)
	}
	checkUpstream(t, e, c.upstream, e.up.seen(r.mark))
	return seen
}

// checkUpstream checks what the upstream received of a case's request.
func checkUpstream(t *testing.T, e *edge, want upstreamSees, got []received) {
	t.Helper()
	switch {
	case want == nothing && len(got) > 0:
		t.Errorf("the upstream received the request: %+v", got)
	case want == atMostOnce && len(got) > 1, want == whole && (len(got) != 1 || !got[0].complete):
		t.Errorf("the upstream received %+v, want the request once, whole", got)
	case want == incomplete, want == atMostOnce:
		for _, g := range got {
			if (g.complete && want == incomplete) || g.bytes > e.limit {
				t.Errorf("the upstream received %d bytes of the body (complete %v), want at most %d, cut off", g.bytes, g.complete, e.limit)
			}
		}
	}
}

func accepted(want []int, status int, closed bool) bool {
	for _, w := range want {
		if (w == 0 && closed) || (w == status && !closed) {
			return true
		}
	}
	return false
}

// readAnswer reads one final answer within 3 s: its status and JSON error code,
// or closed when the connection ended first. Hanging fails the test.
func readAnswer(t *testing.T, conn net.Conn, br *bufio.Reader) (status int, code string, closed bool) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	for err == nil && resp.StatusCode < 200 {
		resp, err = http.ReadResponse(br, nil) // informational: the final answer follows
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("no answer and the connection still open after 3 s")
		}
		return 0, "", true
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var e errorBody
	_ = json.Unmarshal(raw, &e)
	return resp.StatusCode, e.Error.Code, false
}

// TestEdgeCases runs the edge cases against the net/http server Portico
// ships.
func TestEdgeCases(t *testing.T) {
	t.Parallel()
	runEdgeCases(t, newEdge(t, handlers.ServerTimeouts{}), casesFor(t, edgeCases()))
}
