package gateway

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/valyala/fasthttp"
)

// clientIP is the connection's address, or the client a trusted proxy
// names in X-Forwarded-For (the rightmost address that is not one of the
// trusted proxies), as the portal's listener determines it.
func (e *Edge) clientIP(ctx *fasthttp.RequestCtx, c *edgeCall) string {
	r := &c.r
	remote := ctx.RemoteIP()
	if len(e.trusted) == 0 || !e.trust(remote) {
		var buf [64]byte
		a, _ := netip.AddrFromSlice(remote)
		return c.ip.of(a.Unmap().AppendTo(buf[:0]))
	}
	xff := r.Header["X-Forwarded-For"]
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			ip := net.ParseIP(strings.TrimSpace(parts[j]))
			if ip == nil {
				return remote.String()
			}
			if !e.trust(ip) {
				return ip.String()
			}
		}
	}
	return remote.String()
}

func (e *Edge) trust(ip net.IP) bool {
	for _, n := range e.trusted {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

type edgeLogger struct{ l *slog.Logger }

func (l edgeLogger) Printf(format string, args ...any) {
	if l.l != nil {
		l.l.Warn("gateway edge", "msg", strings.TrimSpace(fmt.Sprintf(format, args...)))
	}
}

// newRequestID is a request id of the gateway's own kind, for an answer the
// edge gives before the chain runs (a request fasthttp could not parse).
func (g *Gateway) newRequestID() string {
	return g.idPrefix + strconv.FormatUint(g.idSeq.Add(1), 36)
}
