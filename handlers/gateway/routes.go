package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

// apiEntry is what the gateway knows of one API: its row, its document and
// its operations compiled for matching, and the proxy to its upstream.
type apiEntry struct {
	api   *store.API
	spec  *openapi3.T
	ops   []*operation
	proxy *httputil.ReverseProxy // nil without an upstream URL
	// maxBody is the largest request body read for the API's calls.
	maxBody int64
	loaded  time.Time
	// deprecation and sunset are the header values of a deprecated API.
	deprecation, sunset string
	// metrics are the API's counters by environment (envIndex), resolved
	// once per load; nil when metrics are off.
	metrics *[3]APIMetrics
	// valid remembers the requests that passed validation.
	valid validCache
}

// operation is one operation of an API, matched by method and path.
type operation struct {
	method   string
	segments []segment
	route    *routers.Route
	// check is route for the validator: its operation without security
	// requirements, which are the gateway's own checks (token, scopes).
	// The validator's check of them would read every body whole into
	// memory (to hand each authentication function a copy), streamed
	// live bodies included, and costs allocations per call.
	check  *routers.Route
	id     string
	scopes []string
	params int // number of path parameters
	// bodySchema: the operation's request body has a schema to check, so
	// validation reads (and buffers) the body; otherwise it is left
	// unread, for the proxy to stream.
	bodySchema bool
	// pure: validation reads nothing of a call but its path and query,
	// so its verdict can be remembered (validCache).
	pure bool
}

// segment is one path segment: a literal, or a parameter by name.
type segment struct {
	literal string
	param   string
}

// apis caches apiEntries by slug. Entries are dropped on every access
// change the database notifies (API status, revision) and otherwise live
// for entryTTL, which bounds how long an upstream URL change takes.
type apis struct {
	store   *store.Store
	catalog *catalog.Service
	proxy   func(upstream *url.URL) *httputil.ReverseProxy
	timeout func() time.Duration
	// metrics resolves an API's counters (Gateway.apiMetrics).
	metrics func(slug string) *[3]APIMetrics
	// proxies keeps one proxy (and so one connection pool) per upstream
	// URL and timeout across reloads of the entries.
	proxies sync.Map // proxyKey -> *httputil.ReverseProxy

	mu      sync.RWMutex
	entries map[string]*apiEntry
	// statuses is every API's status by slug, read in one query, so a
	// call for an API the caller is not granted (a typo, or a flood of
	// made-up slugs) never costs a database read.
	statuses map[string]string
	indexed  time.Time
	// gen counts forgets: a load that began before one does not store
	// what it read, which may be what the change replaced.
	gen atomic.Uint64
}

const entryTTL = 30 * time.Second

type proxyKey struct {
	upstream string
	timeout  time.Duration
}

var errNoAPI = errors.New("no such API")

func (a *apis) forget() {
	a.gen.Add(1)
	a.mu.Lock()
	clear(a.entries)
	a.statuses = nil
	a.mu.Unlock()
}

// status returns the status of the API slug, "" when there is none.
func (a *apis) status(ctx context.Context, slug string, now time.Time) (string, error) {
	a.mu.RLock()
	st, idx, at := a.statuses[slug], a.statuses, a.indexed
	a.mu.RUnlock()
	if idx != nil && now.Sub(at) < entryTTL {
		return st, nil
	}
	gen := a.gen.Load()
	list, err := a.store.ListAPIs(ctx)
	if err != nil {
		return "", err
	}
	m := make(map[string]string, len(list))
	for _, api := range list {
		m[api.Slug] = api.Status
	}
	a.mu.Lock()
	if a.gen.Load() == gen {
		a.statuses, a.indexed = m, now
	}
	a.mu.Unlock()
	return m[slug], nil
}

// get returns the entry of slug, loading it when missing or stale.
func (a *apis) get(ctx context.Context, slug string, now time.Time) (*apiEntry, error) {
	a.mu.RLock()
	e := a.entries[slug]
	a.mu.RUnlock()
	if e != nil && now.Sub(e.loaded) < entryTTL {
		return e, nil
	}
	gen := a.gen.Load()
	api, err := a.store.APIBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoAPI
	}
	if err != nil {
		return nil, err
	}
	spec, _, err := a.catalog.Current(ctx, api.ID)
	if err != nil {
		return nil, err
	}
	e = &apiEntry{api: api, spec: spec.Doc, maxBody: entryLimit(api), loaded: now, metrics: a.metrics(api.Slug)}
	// Requests are validated with kin-openapi's own schema visitor, not
	// the JSON Schema 2020 compiler it picks for 3.1 documents: that one
	// compiles every schema again on every call (about 50 µs a request).
	// The visitor knows 3.1's type arrays and null; the documents were
	// checked at import, so only the speed differs.
	validation := *spec.Doc
	validation.OpenAPI = "3.0.3"
	for _, o := range spec.Operations {
		e.ops = append(e.ops, compile(&validation, o))
	}
	if api.UpstreamURL != nil && *api.UpstreamURL != "" {
		u, err := url.Parse(*api.UpstreamURL)
		if err != nil {
			return nil, fmt.Errorf("upstream of API %s: %w", slug, err)
		}
		k := proxyKey{u.String(), a.timeout()}
		p, ok := a.proxies.Load(k)
		if !ok {
			p, _ = a.proxies.LoadOrStore(k, a.proxy(u))
		}
		e.proxy = p.(*httputil.ReverseProxy)
	}
	if api.Status == "deprecated" {
		since := api.UpdatedAt
		e.deprecation = fmt.Sprintf("@%d", since.Unix())
		if api.SunsetAt != nil {
			e.sunset = api.SunsetAt.UTC().Format(httpDate)
		}
	}
	a.mu.Lock()
	if a.gen.Load() == gen {
		a.entries[slug] = e
	}
	a.mu.Unlock()
	return e, nil
}

const httpDate = "Mon, 02 Jan 2006 15:04:05 GMT"

// compile prepares an operation for matching and validation.
func compile(doc *openapi3.T, o catalog.Operation) *operation {
	item := doc.Paths.Find(o.Path)
	op := &operation{method: o.Method, id: o.OperationID, scopes: o.Scopes,
		route: &routers.Route{Spec: doc, Path: o.Path, PathItem: item, Method: o.Method}}
	if item != nil {
		op.route.Operation = item.GetOperation(o.Method)
	}
	op.check = op.route
	if ro := op.route.Operation; ro != nil {
		c, o := *op.route, *ro
		o.Security = &openapi3.SecurityRequirements{}
		c.Operation = &o
		op.check = &c
	}
	if ro := op.route.Operation; ro != nil && ro.RequestBody != nil && ro.RequestBody.Value != nil {
		for _, mt := range ro.RequestBody.Value.Content {
			if mt != nil && mt.Schema != nil {
				op.bodySchema = true
			}
		}
	}
	if ro := op.route.Operation; ro != nil && item != nil && !op.bodySchema {
		rb := ro.RequestBody
		op.pure = (rb == nil || rb.Value == nil || !rb.Value.Required) && pureParams(item, ro)
	}
	for _, s := range strings.Split(strings.Trim(o.Path, "/"), "/") {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			op.segments = append(op.segments, segment{param: s[1 : len(s)-1]})
			op.params++
		} else {
			op.segments = append(op.segments, segment{literal: s})
		}
	}
	return op
}

// match finds the operation of method and path (relative to the API, with
// a leading slash). methodOK reports whether the path matched some
// operation with another method (a 405 rather than a 404).
func (e *apiEntry) match(method, path string) (op *operation, methodOK bool) {
	pathSeen := false
	for _, o := range e.ops {
		if !o.matches(path) {
			continue
		}
		pathSeen = true
		if o.method == method {
			return o, true
		}
	}
	return nil, !pathSeen
}

// matches compares path segment by segment, without allocating. The path
// has exactly the template's segments: "/spreaders/7/" is not
// "/spreaders/{id}" (the upstream may serve it as another resource than
// the one whose scope was checked), as in the document's own router.
func (o *operation) matches(path string) bool {
	rest := strings.TrimPrefix(path, "/")
	for i, seg := range o.segments {
		var part string
		var more bool
		part, rest, more = strings.Cut(rest, "/")
		if seg.param == "" {
			if part != seg.literal {
				return false
			}
		} else if part == "" {
			return false
		}
		if i == len(o.segments)-1 {
			return !more
		}
	}
	return len(o.segments) == 0 && rest == ""
}

// pathParams returns the values of the path parameters of a matched path.
// The path is decoded already (the URL's Path, or /auth/verify's original
// URI unescaped once), so the values are taken as they stand: decoding
// them again would validate and serve "%41" as "A" while the upstream is
// sent "%41".
func (o *operation) pathParams(path string) map[string]string {
	if o.params == 0 {
		return nil
	}
	m := make(map[string]string, o.params)
	rest := strings.TrimPrefix(path, "/")
	for _, seg := range o.segments {
		var part string
		part, rest, _ = strings.Cut(rest, "/")
		if seg.param != "" {
			m[seg.param] = part
		}
	}
	return m
}
