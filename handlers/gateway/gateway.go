// Package gateway is the machine surface: /sandbox/{api}/... served by the
// built-in backends and /live/{api}/... proxied to the API's upstream. It
// is the hot path of the product, written against net/http rather than the
// portal's echo middleware: one bearer verification (cached), one
// operation match, the scope check, the partner's rate limit and quota,
// request validation, the backend, and one queued audit record; no
// database write per request.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/oauth"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/requestid"
	"github.com/portico/portico/internal/store"
)

// SandboxRequest is one sandbox call, authenticated, matched and validated.
type SandboxRequest struct {
	PartnerID int64
	API       string
	Spec      *openapi3.T
	Route     *routers.Route
	// PathParams are read only: calls of the same path share them.
	PathParams map[string]string
}

// Sandbox serves the built-in backends.
type Sandbox interface {
	Serve(w http.ResponseWriter, r *http.Request, req SandboxRequest)
}

// Recorder queues the audit record of a call. Admit reserves room for one
// before the call is served: when the queue is full the gateway answers
// 503 instead of serving a call it could not audit. An admitted call is
// then recorded with RecordAdmitted, so calls answered equal audit rows.
type Recorder interface {
	Admit() bool
	RecordAdmitted(c calls.Call)
}

// Quota counts a partner's calls against a monthly quota.
type Quota interface {
	Use(ctx context.Context, key string, limit int64, now time.Time) (used int64, ok bool, err error)
}

// Deps are the gateway's collaborators; Limiter, Quota and Recorder may
// be nil (no limits, no quota, no audit: tests of other parts).
type Deps struct {
	Store    *store.Store
	Catalog  *catalog.Service
	Verifier *credential.Verifier
	Sandbox  Sandbox
	Limiter  ratelimit.Limiter
	Quota    Quota
	Recorder Recorder
	Log      *slog.Logger
	// Metrics counts calls for monitoring; nil: not counted.
	Metrics Metrics
	// OAuth serves /oauth/… and the authorization server metadata; nil:
	// those paths answer 404.
	OAuth *oauth.Server
}

// Gateway serves /sandbox/ and /live/.
type Gateway struct {
	d    Deps
	apis *apis
	now  func() time.Time

	// UpstreamTimeout bounds a live call from dial to the response headers.
	UpstreamTimeout time.Duration
	// LargeBodies is how many request bodies over 64 KiB one partner may
	// have in flight on this node (4 when not set).
	LargeBodies int
	large       inflight

	idPrefix string
	idSeq    atomic.Uint64
	pool     sync.Pool // of *exchange
	// unmatched counts the calls that matched no catalog API, by
	// environment; nil when metrics are off.
	unmatched *[3]APIMetrics
}

// New returns a gateway. Its route cache follows the verifier's access
// change notifications.
func New(d Deps) *Gateway {
	var b [4]byte
	_, _ = rand.Read(b[:])
	g := &Gateway{d: d, now: time.Now, UpstreamTimeout: 30 * time.Second, idPrefix: hex.EncodeToString(b[:]) + "-"}
	g.apis = &apis{store: d.Store, catalog: d.Catalog, entries: map[string]*apiEntry{}, proxy: g.newProxy,
		timeout: func() time.Duration { return g.UpstreamTimeout }, metrics: g.apiMetrics}
	g.unmatched = g.apiMetrics("")
	g.pool.New = func() any { return &exchange{} }
	if d.Verifier != nil {
		d.Verifier.OnAccessChange(g.apis.forget)
	}
	return g
}

// ServeHTTP serves a call, verifies one on /auth/verify or answers an
// OAuth endpoint, taking the client address from the connection.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	if IsOAuth(r.URL.Path) {
		g.OAuth(w, r, ip)
		return
	}
	g.run(w, r, ip, IsVerify(r.URL.Path))
}

// Serve serves a call from clientIP (as the portal's trusted-proxy rules
// determined it).
func (g *Gateway) Serve(w http.ResponseWriter, r *http.Request, clientIP string) {
	g.run(w, r, clientIP, false)
}

// Verify answers /auth/verify for a proxy in front of the API (NGINX
// auth_request, Traefik forwardAuth, Envoy ext_authz): the same chain as
// Serve on the original request the proxy describes, recorded the same
// way, answered 204 with the identity headers instead of being served.
// clientIP is the original client's (the proxy's X-Forwarded-For, when the
// portal trusts it).
func (g *Gateway) Verify(w http.ResponseWriter, r *http.Request, clientIP string) {
	g.run(w, r, clientIP, true)
}

// run serves a call (Serve) or verifies one (Verify). Both share
// everything but the last step, so a call answers the same refusals and
// leaves the same audit record whichever way it comes.
func (g *Gateway) run(w http.ResponseWriter, r *http.Request, clientIP string, verify bool) {
	t, bad := target{r.Method, r.URL.Path, r.URL.RawQuery}, ""
	if verify {
		t, bad = original(r)
	}
	x := g.pool.Get().(*exchange)
	*x = exchange{w: w, ctx: r.Context()}
	if g.unmatched != nil {
		x.m = g.unmatched[envOf(t.path)]
	}
	start := g.now()
	rid := r.Header.Get("X-Request-Id")
	if !requestid.Valid(rid) {
		rid = g.newID()
	}
	h := w.Header()
	h.Set("X-Request-Id", rid)
	h["X-Content-Type-Options"], h["Content-Security-Policy"] = nosniff, sandboxed
	x.call = calls.Call{At: start, Method: t.method, Path: t.path, ClientIP: clientIP,
		UserAgent: r.UserAgent(), RequestID: rid, BytesIn: max(r.ContentLength, 0)}
	defer func() {
		p := recover()
		if p != nil && p != http.ErrAbortHandler {
			g.d.Log.Error("gateway panic", "request_id", rid, "panic", p)
			if x.status == 0 {
				writeError(x, http.StatusInternalServerError, codeInternal, "The gateway failed to handle this call. Quote the request id to support.", rid)
			}
		}
		// An aborted call (the proxy's response cut off mid-stream) is
		// recorded too: its admission must be given back.
		g.finish(x, start)
		if x.lim != nil {
			// The server must see its own body again to close the
			// connection gently (after the answer went out) when the
			// rest of a refused body was left unread.
			r.Body = x.lim.rc
		}
		// Cleared whole, so the pool keeps no request, body or call alive.
		*x = exchange{}
		g.pool.Put(x)
		if p == http.ErrAbortHandler {
			panic(p)
		}
	}()
	if g.d.Recorder != nil {
		if !g.d.Recorder.Admit() {
			x.Header().Set("Retry-After", "5")
			writeError(x, http.StatusServiceUnavailable, codeUnavailable, "The gateway cannot record calls right now; try again in a few seconds.", rid)
			return
		}
		x.admitted = true
	}
	switch {
	case bad != "":
		writeError(x, http.StatusBadRequest, codeInvalidRequest, bad, rid)
	case verify:
		g.verify(x, r, t, rid, clientIP)
	default:
		g.serve(x, r, t, rid, clientIP)
	}
}

// Every gateway answer is data for a program, never a page, though it is
// served on the portal's origin (and a live upstream may answer text/html):
// no sniffing it into something else, and, opened in a browser, a sandbox
// without scripts, loads or framing, so it cannot act as the portal. A
// fetch (the console's "Try it") is not affected. Assigned, not Set: no
// allocation per call; each has len == cap, so a header added by an
// upstream appends to a copy.
var (
	nosniff   = []string{"nosniff"}
	sandboxed = []string{"default-src 'none'; frame-ancestors 'none'; sandbox"}
)

// finish audits the call, refused ones included (a bad token's call is
// recorded without a partner).
func (g *Gateway) finish(x *exchange, start time.Time) {
	if x.large {
		g.large.release(x.largeOf)
	}
	if x.lim != nil {
		// The transport may still read the body, on its own goroutine:
		// from now on it takes no place.
		x.lim.release()
	}
	if x.m == nil && !x.admitted {
		return
	}
	latency := g.now().Sub(start)
	if x.m != nil {
		x.m.Call(x.status, latency)
	}
	if !x.admitted {
		return
	}
	x.call.Status = x.status
	x.call.Latency = latency
	x.call.BytesOut = x.bytes
	g.d.Recorder.RecordAdmitted(x.call)
}

// envOf is envIndex of the environment a path names, before split checks
// the rest of it.
func envOf(path string) int {
	switch {
	case strings.HasPrefix(path, "/sandbox/"):
		return 0
	case strings.HasPrefix(path, "/live/"):
		return 1
	}
	return 2
}

// split cuts "/sandbox/fleet/spreaders/7" into sandbox, fleet, /spreaders/7.
// rest is a slice of path (no allocation), "/" when nothing follows the
// slug.
func split(path string) (env, slug, rest string, ok bool) {
	p := strings.TrimPrefix(path, "/")
	env, p, ok = strings.Cut(p, "/")
	if !ok || (env != store.EnvSandbox && env != store.EnvLive) {
		return "", "", "", false
	}
	i := strings.IndexByte(p, '/')
	if i < 0 {
		return env, p, "/", p != ""
	}
	return env, p[:i], p[i:], i > 0
}

// newID is a request id of this node: its random prefix and a sequence
// number, built in one allocation.
func (g *Gateway) newID() string {
	var b [64]byte
	return string(strconv.AppendUint(append(b[:0], g.idPrefix...), g.idSeq.Add(1), 36))
}

// Forget drops the cached routes of every API, as an access change
// notification does.
func (g *Gateway) Forget() { g.apis.forget() }
