package gateway

import (
	"bytes"
	"net"
	"net/url"
	"strings"
	"time"
)

func hopByHopBytes(k []byte) bool { return hopByHop(string(k)) }

func isOriginBytes(k []byte) bool { return isOrigin(string(k)) }

// tokenInBytes reports whether the comma-separated list holds tok,
// without regard to case.
func tokenInBytes(list, tok []byte) bool {
	for len(list) > 0 {
		var t []byte
		t, list, _ = bytes.Cut(list, []byte(","))
		if bytes.EqualFold(bytes.TrimSpace(t), tok) {
			return true
		}
	}
	return false
}

// hopByHop are the headers httputil drops both ways.
func hopByHop(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

func isIdentity(k string) bool {
	for _, i := range identityHeaders {
		if i == k {
			return true
		}
	}
	return false
}

func isOrigin(k string) bool {
	for _, o := range originHeaders {
		if o == k {
			return true
		}
	}
	return false
}

// connectionNames reports whether a Connection header names k.
func connectionNames(conn []string, k string) bool {
	return len(conn) > 0 && tokenIn(conn, k)
}

// tokenIn reports whether the comma-separated values hold tok, without
// regard to case.
func tokenIn(values []string, tok string) bool {
	for _, v := range values {
		for v != "" {
			var t string
			t, v, _ = strings.Cut(v, ",")
			if strings.EqualFold(strings.TrimSpace(t), tok) {
				return true
			}
		}
	}
	return false
}

// joinPath joins the upstream's path and the call's as httputil does.
func joinPath(a, b *url.URL) (path, rawpath string) {
	if a.RawPath == "" && b.RawPath == "" {
		return joinSlash(a.Path, b.Path), ""
	}
	apath, bpath := a.EscapedPath(), b.EscapedPath()
	aslash, bslash := strings.HasSuffix(apath, "/"), strings.HasPrefix(bpath, "/")
	switch {
	case aslash && bslash:
		return a.Path + b.Path[1:], apath + bpath[1:]
	case !aslash && !bslash:
		return a.Path + "/" + b.Path, apath + "/" + bpath
	}
	return a.Path + b.Path, apath + bpath
}

func joinSlash(a, b string) string {
	aslash, bslash := strings.HasSuffix(a, "/"), strings.HasPrefix(b, "/")
	switch {
	case aslash && bslash:
		return a + b[1:]
	case !aslash && !bslash:
		return a + "/" + b
	}
	return a + b
}

func joinQuery(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "&" + b
}

// appendEscapedPath appends path escaped as url.URL.EscapedPath does.
func appendEscapedPath(dst []byte, path string) []byte {
	for i := 0; i < len(path); i++ {
		if !pathSafe(path[i]) {
			return append(dst, (&url.URL{Path: path}).EscapedPath()...)
		}
	}
	return append(dst, path...)
}

// pathSafe reports whether EscapedPath leaves c as it is.
func pathSafe(c byte) bool {
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
		return true
	}
	return strings.IndexByte("-_.~/!$&'()*+,;=:@", c) >= 0
}

// pacedConn is a connection to an upstream that must send something at
// least every timeout while the gateway waits for it: for the answer's
// headers (net/http's ResponseHeaderTimeout) and between the pieces of a
// streamed answer, which may last longer.
type pacedConn struct {
	net.Conn
	timeout time.Duration
}

func (c *pacedConn) Read(p []byte) (int, error) {
	if c.timeout > 0 {
		_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	}
	return c.Conn.Read(p)
}

// SetReadDeadline is the gateway's own: fasthttp's per-request deadline
// would bound a streamed answer whole.
func (c *pacedConn) SetReadDeadline(time.Time) error { return nil }
