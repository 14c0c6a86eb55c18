package gateway

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"
)

// request fills the call's *http.Request from fasthttp's request as
// net/http's server would: the method, the request target parsed (its
// path decoded, never cleaned), the headers (Host promoted to r.Host,
// Transfer-Encoding to r.TransferEncoding), the declared length (-1 when
// chunked) and the body. False when the target is not one.
func (c *edgeCall) request(ctx *fasthttp.RequestCtx) (*http.Request, bool) {
	r := &c.r
	c.headers(&ctx.Request.Header)
	if !c.target(ctx.RequestURI()) {
		return r, false
	}
	r.Method = methodOf(ctx.Method())
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/1.1", 1, 1
	if !ctx.Request.Header.IsHTTP11() {
		r.Proto, r.ProtoMinor = "HTTP/1.0", 0
	}
	r.Header = c.h
	r.Host = c.host.of(ctx.Host())
	// r.RemoteAddr stays empty: the chain is given the client's address
	// (Edge.clientIP), and nothing reads the connection's.
	r.URL = &c.u
	n := ctx.Request.Header.ContentLength()
	switch {
	case n == -1:
		r.ContentLength = -1
		r.TransferEncoding = chunked
	case n > 0:
		r.ContentLength = int64(n)
	}
	if r.ContentLength != 0 {
		c.body.r = ctx.RequestBodyStream()
		r.Body = &c.body
	} else {
		r.Body = http.NoBody
	}
	return r, true
}

// headers fills the call's header map from fasthttp's, with one string
// for all the values and the map's slices cut from one backing array.
func (c *edgeCall) headers(fh *fasthttp.RequestHeader) {
	c.vals, c.keys, c.ends = c.vals[:0], c.keys[:0], c.ends[:0]
	for k, v := range fh.All() {
		key := headerKey(k)
		switch key {
		case "Host", "Transfer-Encoding":
			continue
		}
		c.vals = append(c.vals, v...)
		c.keys, c.ends = append(c.keys, key), append(c.ends, len(c.vals))
	}
	all := string(c.vals)
	if cap(c.strs) < len(c.keys) {
		c.strs = make([]string, len(c.keys))
	}
	strs := c.strs[:len(c.keys)]
	start := 0
	for i, key := range c.keys {
		v := all[start:c.ends[i]]
		start = c.ends[i]
		switch key {
		case "User-Agent", "X-Request-Id", nginxURI, nginxMethod, traefikURI, traefikMethod:
			// The audit record keeps these (/auth/verify's method and
			// path come from the X-Original-*/X-Forwarded-* pairs): a
			// string of their own, so it keeps no other header (the
			// credential) alive until it is written.
			v = strings.Clone(v)
		}
		if prev, ok := c.h[key]; ok {
			c.h[key] = append(prev, v)
			continue
		}
		strs[i] = v
		c.h[key] = strs[i : i+1 : i+1]
	}
}

// lastString keeps the string of the last bytes it was given, for values
// that repeat from call to call (the Host, the client's address).
type lastString struct {
	b []byte
	s string
}

func (l *lastString) of(b []byte) string {
	if l.s == "" || !bytes.Equal(l.b, b) {
		l.b, l.s = append(l.b[:0], b...), string(b)
	}
	return l.s
}

var chunked = []string{"chunked"}

// target parses the request target into the call's URL as
// url.ParseRequestURI does, without allocating for a plain path.
func (c *edgeCall) target(uri []byte) bool {
	if len(uri) == 0 || uri[0] != '/' || bytes.IndexByte(uri, '%') >= 0 || bytes.IndexByte(uri, '#') >= 0 {
		u, err := url.ParseRequestURI(string(uri))
		if err != nil {
			return false
		}
		c.u = *u
		return true
	}
	path, query, hasQuery := bytes.Cut(uri, []byte("?"))
	for _, b := range path {
		if b <= ' ' || b == 0x7f {
			return false
		}
	}
	c.u.Path = string(path)
	if hasQuery {
		c.u.RawQuery = string(query)
		c.u.ForceQuery = len(query) == 0
	}
	return true
}

// methodOf interns the common methods.
func methodOf(m []byte) string {
	switch string(m) {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodHead:
		return http.MethodHead
	case http.MethodOptions:
		return http.MethodOptions
	}
	return string(m)
}

// headerKey is k in canonical form (fasthttp normalises the names it
// parses already), interned for the common ones.
func headerKey(k []byte) string {
	if s, ok := commonKeys[string(k)]; ok {
		return s
	}
	return http.CanonicalHeaderKey(string(k))
}

var commonKeys = func() map[string]string {
	m := map[string]string{}
	for _, k := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Cache-Control",
		"Connection", "Content-Length", "Content-Type", "Cookie", "Host", "If-Modified-Since", "If-None-Match",
		"Origin", "Referer", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "User-Agent", "X-Forwarded-For",
		"X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip", "X-Request-Id", "Expect", "Keep-Alive",
		"X-Original-Uri", "X-Original-Method", "X-Forwarded-Uri", "X-Forwarded-Method", "Access-Control-Request-Method",
		"Access-Control-Request-Headers", "Proxy-Connection", "Proxy-Authorization", "Range", "Via", "Forwarded"} {
		m[k] = k
	}
	return m
}()
