package gateway

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/portico/portico/internal/credential"
)

// buffers lends the proxies their copy buffers: without it httputil
// allocates (and the runtime clears) 32 KiB per call.
type buffers struct{ p sync.Pool }

func (b *buffers) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *buffers) Put(buf []byte) { b.p.Put(&buf) }

var bufferPool = &buffers{}

// newProxy returns the reverse proxy of one upstream. Hop-by-hop headers
// are dropped by httputil; the caller's credential and any X-Portico-*
// header it sent never reach the upstream.
func (g *Gateway) newProxy(upstream *url.URL) *httputil.ReverseProxy {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: g.UpstreamTimeout,
		ExpectContinueTimeout: time.Second,
	}
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(upstream)
			pr.Out.Host = upstream.Host
			// httputil has already removed the headers the caller's
			// Connection header named: set the identity again, so a caller
			// cannot strip it (forward put it on the inbound request).
			for _, k := range identityHeaders {
				if v, ok := pr.In.Header[k]; ok {
					pr.Out.Header[k] = v
				}
			}
		},
		Transport:  transport,
		BufferPool: bufferPool,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			rid := w.Header().Get("X-Request-Id")
			var ne net.Error
			if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				writeError(w, http.StatusGatewayTimeout, codeGatewayTimeout, "The API's upstream did not answer in time.", rid)
				return
			}
			if errors.Is(err, context.Canceled) {
				return // the caller went away
			}
			g.d.Log.Warn("gateway: upstream failed", "request_id", rid, "upstream", upstream.Host, "err", err)
			writeError(w, http.StatusBadGateway, codeBadGateway, "The API's upstream could not be reached or answered badly.", rid)
		},
	}
}

// identityHeaders are the headers forward sets for the upstream.
var identityHeaders = []string{"X-Portico-Partner", "X-Portico-Token-Id", "X-Portico-Scopes", "X-Request-Id"}

// forward proxies a live call to the API's upstream with the verified
// identity as headers.
func (g *Gateway) forward(x *exchange, r *http.Request, e *apiEntry, p *credential.Principal, grant *credential.APIGrant, rest, rid string) {
	h := r.Header
	for k := range h {
		if len(k) > 10 && (k[:10] == "X-Portico-" || k[:10] == "X-portico-") {
			delete(h, k)
		}
	}
	h.Del("Authorization")
	h.Del("Cookie")
	h.Set("X-Portico-Partner", strconv.FormatInt(p.PartnerID, 10))
	h.Set("X-Portico-Token-Id", strconv.FormatInt(p.TokenID, 10))
	h.Set("X-Portico-Scopes", grant.ScopeHeader)
	h.Set("X-Request-Id", rid)
	r.URL.Path, r.URL.RawPath = rest, ""
	e.proxy.ServeHTTP(x, r)
}
