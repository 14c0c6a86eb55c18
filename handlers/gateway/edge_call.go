package gateway

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// edgeCall is the pooled state of one call on the edge: the request the
// chain reads and the writer it answers through.
type edgeCall struct {
	r    http.Request
	u    url.URL
	h    http.Header
	body edgeBody
	w    edgeWriter
	// vals, keys, ends and strs are headers' scratch space.
	vals []byte
	keys []string
	ends []int
	strs []string
	// host and ip repeat from call to call.
	host, ip lastString
}

func newEdgeCall(e *Edge) *edgeCall {
	c := &edgeCall{h: make(http.Header, 16)}
	c.w.h, c.w.edge = make(http.Header, 16), e
	return c
}

// clear drops what the call referenced, so the pool keeps nothing alive.
func (c *edgeCall) clear() {
	clear(c.h)
	c.body = edgeBody{}
	c.r = http.Request{}
	c.u = url.URL{}
	c.w.ctx = nil
	clear(c.w.h)
	clear(c.strs)
	if cap(c.w.buf) > largeBody {
		c.w.buf = nil // a large answer's buffer is not kept
	}
}

// edgeBody is the request body, read from fasthttp's stream. A large one
// (paced) moves the connection's read deadline on as it arrives: to the
// read timeout plus a second per rate bytes read since start, so a long
// upload goes through while a trickled body is still cut off.
type edgeBody struct {
	r     io.Reader
	paced bool
	conn  net.Conn
	start time.Time
	read  time.Duration
	rate  int64
	n     int64
	next  int64
}

func (b *edgeBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if !b.paced || n <= 0 {
		return n, err
	}
	b.n += int64(n)
	if b.n >= b.next {
		b.next = b.n + b.rate/4
		d := b.start.Add(b.read + time.Duration(b.n/b.rate)*time.Second + time.Duration(b.n%b.rate)*time.Second/time.Duration(b.rate))
		_ = b.conn.SetReadDeadline(d)
	}
	return n, err
}

func (b *edgeBody) Close() error { return nil }
