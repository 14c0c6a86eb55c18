package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/valyala/fasthttp"
)

// streamThreshold is the largest live answer of known length the edge
// reads whole before answering; a larger one, or one of unknown length,
// is streamed to the caller as it arrives.
const streamThreshold = 256 << 10

// edgeUpstream is one upstream's client on the edge, kept per proxy of
// the net/http path (one per upstream URL and timeout).
type edgeUpstream struct {
	hc     *fasthttp.HostClient
	target *url.URL
	// base is scheme://host, which the request URI starts with.
	base string
}

// upstream returns the client of the entry's upstream.
func (e *Edge) upstream(entry *apiEntry) (*edgeUpstream, error) {
	key := *entry.api.UpstreamURL
	if u, ok := e.upstreams.Load(key); ok {
		return u.(*edgeUpstream), nil
	}
	target, err := url.Parse(key)
	if err != nil {
		return nil, err
	}
	addr := target.Host
	if target.Port() == "" {
		if target.Scheme == "https" {
			addr += ":443"
		} else {
			addr += ":80"
		}
	}
	u := &edgeUpstream{target: target, base: target.Scheme + "://" + target.Host, hc: &fasthttp.HostClient{
		Addr:                     addr,
		IsTLS:                    target.Scheme == "https",
		NoDefaultUserAgentHeader: true,
		DisablePathNormalizing:   true,
		MaxConns:                 1024,
		MaxConnWaitTimeout:       5 * time.Second,
		MaxIdleConnDuration:      90 * time.Second,
		ReadBufferSize:           32 << 10,
		StreamResponseBody:       true,
		RetryIfErr:               retryClosedIdle,
		Dial: func(addr string) (net.Conn, error) {
			c, err := (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).Dial("tcp", addr)
			if err != nil {
				return nil, err
			}
			return &pacedConn{Conn: c, timeout: e.g.UpstreamTimeout}, nil
		},
	}}
	v, _ := e.upstreams.LoadOrStore(key, u)
	return v.(*edgeUpstream), nil
}

// retryClosedIdle sends a call again, once, only when the upstream closed
// the connection before any byte of an answer (fasthttp reads that as
// io.EOF): an idle connection the upstream had closed meanwhile, which
// fasthttp reuses without checking. As net/http's transport, only a call
// that may be replayed (GET, HEAD, OPTIONS, TRACE; a body is never
// resent). Any other failure, a timeout first,
// is not retried (fasthttp would, up to five times, for a call without a
// body): the upstream may be running the call, and the caller would wait
// for every attempt.
func retryClosedIdle(req *fasthttp.Request, attempts int, err error) (resetTimeout, retry bool) {
	h := &req.Header
	return false, attempts == 1 && err == io.EOF && (h.IsGet() || h.IsHead() || h.IsOptions() || h.IsTrace())
}

// forwardEdge is forward's last step on the edge: the call, its headers
// already rewritten by forward, sent through the upstream's HostClient
// with the header rules httputil applies (hop-by-hop headers dropped both
// ways, the identity set again after a caller's Connection header named
// it), and the answer passed on through the exchange.
func (e *Edge) forwardEdge(x *exchange, w *edgeWriter, r *http.Request, entry *apiEntry) {
	up, err := e.upstream(entry)
	if err != nil {
		e.g.upstreamFailed(x, err, "")
		return
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	resp := fasthttp.AcquireResponse()
	streamed := false
	defer func() {
		if !streamed {
			_ = resp.CloseBodyStream()
			fasthttp.ReleaseResponse(resp)
		}
	}()
	e.upstreamRequest(req, w, r, up)
	// An answer without a Content-Type has none here either (fasthttp
	// would give it text/plain): finish sniffs one, as net/http does.
	resp.Header.SetNoDefaultContentType(true)
	err = up.hc.Do(req, resp)
	if err != nil {
		if x.bodyBroken() && !x.bodyRefused() {
			// The caller cut its body off or sent it too slowly: its
			// doing, whatever the upstream's connection made of it.
			writeError(x, http.StatusBadRequest, codeInvalidRequest, "The request body ended before it was complete.", x.call.RequestID)
			return
		}
		if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
			err = context.DeadlineExceeded
		}
		e.g.upstreamFailed(x, err, up.target.Host)
		return
	}
	streamed = e.answer(x, w, r, resp, up.target.Host)
}

// upstreamRequest is the live call r as the upstream up is sent it.
func (e *Edge) upstreamRequest(req *fasthttp.Request, w *edgeWriter, r *http.Request, up *edgeUpstream) {
	path, raw := joinPath(up.target, r.URL)
	uri := append(w.uri[:0], up.base...)
	if raw != "" {
		uri = append(uri, raw...)
	} else {
		uri = appendEscapedPath(uri, path)
	}
	if q := joinQuery(up.target.RawQuery, r.URL.RawQuery); q != "" || r.URL.ForceQuery {
		uri = append(uri, '?')
		uri = append(uri, q...)
	}
	req.SetRequestURIBytes(uri)
	w.uri = uri
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod(r.Method)
	req.Header.SetHost(up.target.Host)
	h := r.Header
	named := h["Connection"]
	for k, vs := range h {
		if hopByHop(k) || k == "Host" || k == "Content-Length" || k == "Expect" {
			continue
		}
		if connectionNames(named, k) && !isIdentity(k) {
			continue
		}
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if te := h["Te"]; len(te) > 0 && tokenIn(te, "trailers") {
		req.Header.Set("Te", "trailers")
	}
	if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		req.SetBodyStream(r.Body, int(r.ContentLength))
	}
}

// answer passes the upstream's answer resp on through the exchange x: the
// status, then the upstream's headers after the gateway's own (as httputil
// leaves them in the map), then the body, read whole when small and
// streamed otherwise (streamed: resp is released when the stream ends).
func (e *Edge) answer(x *exchange, w *edgeWriter, r *http.Request, resp *fasthttp.Response, host string) (streamed bool) {
	status := resp.StatusCode()
	if status == http.StatusSwitchingProtocols {
		// The gateway sent no Upgrade: the upstream answered badly.
		e.g.upstreamFailed(x, errors.New("101 Switching Protocols without an upgrade asked for"), host)
		return false
	}
	// An answer refused meanwhile (its body over the limit) gets none of
	// the upstream's headers.
	x.WriteHeader(status)
	if x.swallow || x.status != status {
		return false
	}
	var conn []byte
	for k, v := range resp.Header.All() {
		if string(k) == "Connection" {
			conn = append(append(conn, v...), ',')
		}
	}
	rh := &w.ctx.Response.Header
	for k, v := range resp.Header.All() {
		switch string(k) {
		case "Content-Length", "Date":
			continue
		case "Content-Type":
			w.typed = true
		}
		if hopByHopBytes(k) || isOriginBytes(k) || (conn != nil && tokenInBytes(conn, k)) {
			continue
		}
		rh.AddBytesKV(k, v)
	}
	for _, k := range resp.Header.PeekTrailerKeys() {
		// Announced again, as httputil does, but for the origin's.
		if !isOriginBytes(k) {
			_ = rh.AddTrailerBytes(k)
		}
	}
	if r.Method == http.MethodHead {
		if n := resp.Header.ContentLength(); n >= 0 {
			rh.SetContentLength(n)
		}
		return false
	}
	if !bodyAllowed(status) {
		return false
	}
	stream := resp.BodyStream()
	if stream == nil {
		_, _ = x.Write(resp.Body())
		return false
	}
	n := resp.Header.ContentLength()
	if n >= 0 && n <= streamThreshold {
		w.buf = slices.Grow(w.buf[:0], n)[:n]
		if _, err := io.ReadFull(stream, w.buf); err != nil {
			// Cut off mid-answer: the caller must not take what came
			// for the whole of it.
			w.ctx.SetConnectionClose()
			panic(http.ErrAbortHandler)
		}
		_, _ = x.Write(w.buf)
		return false
	}
	w.ctx.Response.SetBodyStream(&edgeStream{resp: resp, out: rh, conn: w.ctx.Conn(), write: e.write}, max(n, -1))
	x.bytes += int64(max(n, 0))
	return true
}

// edgeStream passes an upstream's answer to the caller as it arrives and
// gives its connection back when fasthttp is done with it. The upstream's
// trailers, known at the end of its body, go into the caller's answer
// then (fasthttp writes them after the body), but for the origin's.
//
// The write timeout bounds how long the caller takes to read, not how long
// the answer lasts: the write deadline moves on with each piece passed.
type edgeStream struct {
	resp  *fasthttp.Response
	out   *fasthttp.ResponseHeader
	done  bool
	conn  net.Conn
	write time.Duration
}

func (s *edgeStream) Read(p []byte) (int, error) {
	n, err := s.resp.BodyStream().Read(p)
	if n > 0 && s.write > 0 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.write))
	}
	if err == io.EOF && !s.done {
		s.done = true
		for _, k := range s.resp.Header.PeekTrailerKeys() {
			if isOriginBytes(k) {
				continue
			}
			_ = s.out.AddTrailerBytes(k)
			for _, v := range s.resp.Header.PeekAllTrailer(string(k)) {
				s.out.AddBytesKV(k, v)
			}
		}
	}
	return n, err
}

func (s *edgeStream) Close() error {
	err := s.resp.CloseBodyStream()
	fasthttp.ReleaseResponse(s.resp)
	return err
}

// forwardOnEdge hands a live call to the edge when it came through it.
func forwardOnEdge(x *exchange, r *http.Request, entry *apiEntry) bool {
	w, ok := x.w.(*edgeWriter)
	if !ok || w.edge == nil {
		return false
	}
	w.edge.forwardEdge(x, w, r, entry)
	return true
}
