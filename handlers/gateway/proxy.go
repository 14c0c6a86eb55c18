package gateway

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
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
	var errorLog *log.Logger
	if g.d.Log != nil {
		// httputil's own complaints (an upstream's body cut off) go to
		// the portal's log, not to the standard logger's stderr.
		errorLog = slog.NewLogLogger(g.d.Log.With("upstream", upstream.Host).Handler(), slog.LevelWarn)
	}
	return &httputil.ReverseProxy{
		ErrorLog: errorLog,
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
		ModifyResponse: func(resp *http.Response) error {
			for _, k := range originHeaders {
				delete(resp.Header, k)
				// Not announced as a trailer: forward drops what the
				// upstream sends as one all the same.
				delete(resp.Trailer, k)
			}
			return nil
		},
		Transport:  transport,
		BufferPool: bufferPool,
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, err error) {
			g.upstreamFailed(w, err, upstream.Host)
		},
	}
}

// upstreamFailed answers a live call whose upstream could not be reached
// or answered badly (or whose body the caller cut off or sent too much of).
func (g *Gateway) upstreamFailed(w http.ResponseWriter, err error, host string) {
	// The call's own id: after a 1xx httputil has cleared the
	// header map the id was set in.
	x, _ := w.(*exchange)
	rid := w.Header().Get("X-Request-Id")
	if x != nil {
		rid = x.call.RequestID
	}
	// A body the caller stopped sending midway, or sent too slowly
	// (the server's read deadline passed, which also cancels the
	// call's context): the caller's doing, not the upstream's
	// timeout, answered whatever the transport made of it.
	if x != nil && x.bodyBroken() && !x.bodyRefused() {
		writeError(w, http.StatusBadRequest, codeInvalidRequest, "The request body ended before it was complete.", rid)
		return
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		writeError(w, http.StatusGatewayTimeout, codeGatewayTimeout, "The API's upstream did not answer in time.", rid)
		return
	}
	if errors.Is(err, context.Canceled) {
		return // the caller went away
	}
	// A body refused (413, 429) while the transport read it is the
	// caller's doing, anyone's to repeat: no log line. The exchange answers
	// the refusal whatever is written here.
	if (x != nil && x.bodyRefused()) || errors.Is(err, errBodyTooLarge) || errors.Is(err, errLargeBodiesBusy) {
		writeError(w, http.StatusBadGateway, codeBadGateway, "The API's upstream could not be reached or answered badly.", rid)
		return
	}
	g.d.Log.Warn("gateway: upstream failed", "request_id", rid, "upstream", host, "err", err)
	writeError(w, http.StatusBadGateway, codeBadGateway, "The API's upstream could not be reached or answered badly.", rid)
}

// originHeaders are the upstream response headers the caller never gets.
// Live calls are answered on the portal's own origin: an upstream must not
// set its cookies (or clear them: Clear-Site-Data), widen a service
// worker's scope, or decide the origin's transport (HSTS, Alt-Svc); and its
// server software is its own business.
var originHeaders = []string{"Set-Cookie", "Set-Cookie2", "Clear-Site-Data", "Service-Worker-Allowed",
	"Strict-Transport-Security", "Alt-Svc", "Server", "X-Powered-By"}

// originTrailers are originHeaders as httputil names the trailers an
// upstream sent without announcing them, for the server to send as such.
var originTrailers = func() []string {
	t := make([]string, len(originHeaders))
	for i, k := range originHeaders {
		t[i] = http.TrailerPrefix + k
	}
	return t
}()

// identityHeaders are the headers forward sets for the upstream: the
// verified identity and the client address the gateway saw (httputil drops
// X-Forwarded-For from the outbound request before Rewrite).
var identityHeaders = []string{"X-Portico-Partner", "X-Portico-Token-Id", "X-Portico-Scopes", "X-Portico-Client-Id", "X-Request-Id", "X-Forwarded-For", "X-Real-Ip"}

// spoofable reports whether the caller's header k claims something only
// the gateway may say: its identity headers, or a client address. Names
// arrive canonical (the server canonicalises them, HTTP/2's too), so one
// spelling per name is enough. A name holding an underscore is spoofable
// whatever it says: CGI, WSGI and Rack fold "_" and "-" into the same
// variable (X_Forwarded_For and X-Forwarded-For both become
// HTTP_X_FORWARDED_FOR), so the upstream could read it as any of them;
// NGINX drops such headers by default (underscores_in_headers off).
func spoofable(k string) bool {
	if strings.IndexByte(k, '_') >= 0 {
		return true
	}
	switch {
	case strings.HasPrefix(k, "X-Portico-"), strings.HasPrefix(k, "X-Forwarded-"):
		return true
	}
	switch k {
	case "Forwarded", "X-Real-Ip", "X-Client-Ip", "True-Client-Ip", "X-Cluster-Client-Ip", "X-Originating-Ip":
		return true
	}
	return false
}

// forward proxies a live call to the API's upstream with the verified
// identity as headers.
// The client address headers say clientIP, as the gateway determined it;
// whatever the caller sent in them, or in Forwarded, or in any header whose
// name has an underscore, is dropped.
func (g *Gateway) forward(x *exchange, r *http.Request, e *apiEntry, p *credential.Principal, grant *credential.APIGrant, rest, rid, clientIP string) {
	h := r.Header
	for k := range h {
		if spoofable(k) {
			delete(h, k)
		}
	}
	h.Del("Authorization")
	h.Del("Cookie")
	// The exchange cannot hand the connection over (no Hijack): a
	// protocol switch would fail as a 502 anyone could trigger and log.
	h.Del("Upgrade")
	h.Set("X-Portico-Partner", strconv.FormatInt(p.PartnerID, 10))
	h.Set("X-Portico-Token-Id", strconv.FormatInt(p.TokenID, 10))
	h.Set("X-Portico-Scopes", grant.ScopeHeader)
	if p.ClientID != "" {
		// An OAuth access token: X-Portico-Token-Id is its client's row.
		h.Set("X-Portico-Client-Id", p.ClientID)
	}
	h.Set("X-Request-Id", rid)
	// One slice for both: nothing appends to either before they are sent.
	addr := []string{clientIP}
	h["X-Forwarded-For"], h["X-Real-Ip"] = addr, addr
	r.URL.Path, r.URL.RawPath = rest, ""
	if x.lim == nil && r.ContentLength > 0 && r.Body != nil && r.Body != http.NoBody {
		// Read through a bodyLimit (a chunked one already is), which
		// tells a body the caller cut off from an upstream's failure.
		x.lim = &bodyLimit{rc: r.Body, left: r.ContentLength, limit: r.ContentLength}
		r.Body = x.lim
	}
	if !forwardOnEdge(x, r, e) {
		e.proxy.ServeHTTP(x, r)
	}
	// The answer's trailers go out when the call returns: an upstream's
	// trailer is as much the origin's header as any other. (An announced
	// one ModifyResponse already took off the announcement; what the
	// upstream sent beyond it httputil adds with the TrailerPrefix.)
	h = x.w.Header()
	for _, k := range originTrailers {
		delete(h, k)
	}
}
