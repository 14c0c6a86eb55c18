package sandbox

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// The sandbox remembers the answers that are a pure function of the
// partner and the request: the Fleet API's spreader list and records, and
// every answer generated from a document. Their inputs are the partner,
// the operation (of one revision of the document: a new revision has new
// operations, so a catalog change reaches the next call), the method, the
// path (with its parameters) and the raw query (with the defaults the
// gateway's validation added); nothing a partner writes or resets and no
// clock enters them, so no write or reset can make one stale, on this node
// or another. The answers that read what a partner wrote (work orders,
// the work orders linked to alarms) or the clock (lift cycles, alarms,
// series, a spreader's live status) are not remembered: they are
// generated on every call, as before.

// pureBuiltins are the hand-written backends whose answers depend on the
// partner and the request alone.
var pureBuiltins = map[string]map[string]bool{
	"fleet": {"listSpreaders": true, "getSpreader": true},
}

// Bounds of the cache: at most cacheEntries answers and cacheBytes of
// bodies and keys (about 4 500 Fleet lists of 3.6 KB); an answer over
// cacheAnswer or a key over cacheKey is served but not kept.
const (
	cacheEntries = 4096
	cacheBytes   = 16 << 20
	cacheAnswer  = 256 << 10
	cacheKey     = 2 << 10
)

type answerKey struct {
	partnerID         int64
	op                *openapi3.Operation
	api, method, path string
	query             string
}

func (k *answerKey) size() int {
	return len(k.api) + len(k.method) + len(k.path) + len(k.query)
}

// answer is a remembered success: its status, headers and body. The
// header values are shared by every call that answers it: each slice has
// len == cap, so a handler adding a value appends to a copy.
type answer struct {
	status  int
	headers []field
	body    []byte
}

// field is a header of an answer, its name in canonical form.
type field struct {
	name   string
	values []string
}

// answers is the cache, safe for concurrent use.
type answers struct {
	mu    sync.RWMutex
	m     map[answerKey]*answer
	bytes int
}

func newAnswers() *answers { return &answers{m: make(map[answerKey]*answer)} }

func (a *answers) get(k *answerKey) *answer {
	a.mu.RLock()
	v := a.m[*k]
	a.mu.RUnlock()
	return v
}

// put keeps v under k, first dropping arbitrary answers (the map's own
// order) until it fits.
func (a *answers) put(k *answerKey, v *answer) {
	size := k.size() + len(v.body)
	if len(v.body) > cacheAnswer || k.size() > cacheKey {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if old := a.m[*k]; old != nil {
		a.bytes -= k.size() + len(old.body)
		delete(a.m, *k)
	}
	for old, ov := range a.m {
		if len(a.m) < cacheEntries && a.bytes+size <= cacheBytes {
			break
		}
		a.bytes -= old.size() + len(ov.body)
		delete(a.m, old)
	}
	a.m[*k] = v
	a.bytes += size
}

// len returns the number of answers and their size, for tests.
func (a *answers) len() (n, bytes int) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return len(a.m), a.bytes
}

// write answers v on w.
func (v *answer) write(w http.ResponseWriter) {
	h := w.Header()
	for _, f := range v.headers {
		h[f.name] = f.values
	}
	w.WriteHeader(v.status)
	_, _ = w.Write(v.body)
}

// recording is an answer being put together while a call is served.
type recording struct {
	answer
	ok bool
}

// header records a header the answer sets (canonical name, one value).
func (r *recording) header(name, value string) {
	r.headers = append(r.headers, field{http.CanonicalHeaderKey(name), []string{value}})
}

// sent records the answer's status and body: only a success is kept.
func (r *recording) sent(status int, contentType string, body []byte) {
	if status < 200 || status > 299 {
		return
	}
	if contentType != "" {
		r.header("Content-Type", contentType)
	}
	r.header("Content-Length", strconv.Itoa(len(body)))
	r.status, r.body, r.ok = status, body, true
}
