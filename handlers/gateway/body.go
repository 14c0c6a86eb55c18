package gateway

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/portico/portico/internal/store"
)

// largeBody is the size above which a request body counts as large: a
// partner may send only a few of those at a time to one node.
const largeBody = 64 << 10

// defaultLargeBodies is how many large bodies one partner may have in
// flight on one node unless Gateway.LargeBodies says otherwise.
const defaultLargeBodies = 4

var errBodyTooLarge = errors.New("request body too large")

// bodyLimit bounds a request body of unknown length (chunked) while it is
// read: by the request validation, the sandbox, or the proxy's transport,
// which reads it on a goroutine of its own, possibly after the call ended
// (so it is not pooled with the exchange, and hit is atomic). Reading stops
// at limit+1 bytes, whatever the reader asks for.
type bodyLimit struct {
	rc    io.ReadCloser
	left  int64
	limit int64
	hit   atomic.Bool
}

func (b *bodyLimit) Read(p []byte) (int, error) {
	if b.hit.Load() {
		return 0, errBodyTooLarge
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if int64(n) <= b.left {
		b.left -= int64(n)
		return n, err
	}
	n = int(b.left)
	b.left = 0
	b.hit.Store(true)
	return n, errBodyTooLarge
}

func (b *bodyLimit) Close() error { return b.rc.Close() }

// inflight counts each partner's large bodies in flight on this node.
// Entries are removed when their count drops to zero, so the map holds
// only partners sending large bodies right now.
type inflight struct {
	mu sync.Mutex
	n  map[int64]int
}

func (f *inflight) acquire(partner int64, max int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[partner] >= max {
		return false
	}
	if f.n == nil {
		f.n = map[int64]int{}
	}
	f.n[partner]++
	return true
}

func (f *inflight) release(partner int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[partner] <= 1 {
		delete(f.n, partner)
		return
	}
	f.n[partner]--
}

// admitBody applies the API's body limit before anything of the body is
// read: a declared length above it is refused at once, a chunked body is
// read through a bodyLimit, and a large body takes one of its partner's
// few large-body places for the rest of the call. A call without a body,
// or with a declared length within the limit (the server reads no more
// than that), costs nothing here. False when the call was refused.
func (g *Gateway) admitBody(x *exchange, r *http.Request, partner int64, limit int64, rid string) bool {
	n := r.ContentLength
	if n == 0 || r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if n > limit {
		refuseBody(x.w, x, limit, rid)
		return false
	}
	if n > largeBody || (n < 0 && limit > largeBody) {
		max := g.LargeBodies
		if max <= 0 {
			max = defaultLargeBodies
		}
		if !g.large.acquire(partner, max) {
			x.Header().Set("Retry-After", "1")
			x.Header().Set("Connection", "close") // rather than read the body to reuse it
			writeError(x, http.StatusTooManyRequests, codeLargeBodiesBusy,
				"Your organisation has reached its limit of "+strconv.Itoa(max)+" request bodies over "+strconv.Itoa(largeBody>>10)+" KiB in flight to this node; retry when one has finished.", rid)
			return false
		}
		x.largeOf, x.large = partner, true
	}
	if n < 0 {
		x.lim = &bodyLimit{rc: r.Body, left: limit, limit: limit}
		r.Body = x.lim
	}
	return true
}

// bodyRefused reports whether reading the body went past its limit.
func (x *exchange) bodyRefused() bool { return x.lim != nil && x.lim.hit.Load() }

// refuseBody answers 413 on w for the exchange x, dropping any header an
// upstream's answer put there, and closes the connection rather than
// reading the rest of the body.
func refuseBody(w http.ResponseWriter, x *exchange, limit int64, rid string) {
	h := w.Header()
	for k := range h {
		if !slices.Contains(ownHeaders[:], k) {
			delete(h, k)
		}
	}
	h.Set("Connection", "close")
	writeError(w, http.StatusRequestEntityTooLarge, codeBodyTooLarge,
		"The request body is larger than this API's limit of "+sizeText(limit)+".", rid)
	x.status, x.swallow = http.StatusRequestEntityTooLarge, true
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	if n%(1<<10) == 0 {
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// entryLimit is the body limit of an API row, the default for a row
// read before the column existed.
func entryLimit(api *store.API) int64 {
	if api.MaxBodyBytes <= 0 {
		return store.DefaultMaxBody
	}
	return api.MaxBodyBytes
}
