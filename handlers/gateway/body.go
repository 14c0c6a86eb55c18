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

var (
	errBodyTooLarge    = errors.New("request body too large")
	errLargeBodiesBusy = errors.New("too many large request bodies in flight")
)

// bodyLimit bounds a request body of unknown length (chunked) while it is
// read: by the request validation, the sandbox, or the proxy's transport,
// which reads it on a goroutine of its own, possibly after the call ended
// (so it is not pooled with the exchange, and its state is atomic).
// Reading stops at limit+1 bytes, whatever the reader asks for.
//
// Whether the body is large is found out as it is read: once more than
// largeBody bytes were, it takes one of its partner's places, and reading
// stops when none is free. The place is held until the call ends (or the
// body is refused), not merely until the body was read: a validated body
// is then in memory, and that memory is what the places bound.
type bodyLimit struct {
	rc    io.ReadCloser
	left  int64
	limit int64
	// refused is the status that answers the call when reading stopped
	// early: 413 past the limit, 429 when no place was free.
	refused atomic.Int32
	// places lends the places of partner (max of them); nil when the
	// limit is too low for the body ever to be large.
	places  *inflight
	partner int64
	max     int
	place   atomic.Int32 // placeNone, placeHeld, placeDone
	// broken: reading the body itself failed (the caller cut it off).
	broken atomic.Bool
}

const (
	placeNone = iota
	placeHeld
	placeDone // given back, or never to be taken: the body or the call ended
)

func (b *bodyLimit) Read(p []byte) (int, error) {
	switch b.refused.Load() {
	case http.StatusRequestEntityTooLarge:
		return 0, errBodyTooLarge
	case http.StatusTooManyRequests:
		return 0, errLargeBodiesBusy
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	if err != nil && err != io.EOF {
		b.broken.Store(true)
	}
	if int64(n) > b.left {
		n = int(b.left)
		b.left = 0
		b.refused.Store(http.StatusRequestEntityTooLarge)
		b.release()
		return n, errBodyTooLarge
	}
	b.left -= int64(n)
	if n > 0 && b.places != nil && b.limit-b.left > largeBody && !b.take() {
		b.refused.Store(http.StatusTooManyRequests)
		return 0, errLargeBodiesBusy
	}
	return n, err
}

// take makes sure the body holds a place, false when none is free (or
// the body or the call already ended).
func (b *bodyLimit) take() bool {
	switch b.place.Load() {
	case placeHeld:
		return true
	case placeDone:
		return false
	}
	if !b.places.acquire(b.partner, b.max) {
		return false
	}
	if b.place.CompareAndSwap(placeNone, placeHeld) {
		return true
	}
	// The call ended meanwhile, on another goroutine.
	b.places.release(b.partner)
	return false
}

// release gives the body's place back, if it holds one; only once.
func (b *bodyLimit) release() {
	if b.place.Swap(placeDone) == placeHeld {
		b.places.release(b.partner)
	}
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
// read: a declared length above it is refused at once, and one over
// largeBody takes one of its partner's few large-body places for the rest
// of the call; a chunked body is read through a bodyLimit, which takes a
// place once it turns out large. A call without a body, or with a
// declared length within the limit (the server reads no more than that),
// costs nothing here. False when the call was refused.
func (g *Gateway) admitBody(x *exchange, r *http.Request, partner int64, limit int64, rid string) bool {
	n := r.ContentLength
	if n == 0 || r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if n > limit {
		refuseBody(x.w, x, limit, rid)
		return false
	}
	max := g.LargeBodies
	if max <= 0 {
		max = defaultLargeBodies
	}
	if n > largeBody {
		if !g.large.acquire(partner, max) {
			refuseBusy(x.w, x, max, rid)
			return false
		}
		x.largeOf, x.large = partner, true
	}
	if n < 0 {
		x.lim = &bodyLimit{rc: r.Body, left: limit, limit: limit}
		if limit > largeBody {
			x.lim.places, x.lim.partner, x.lim.max = &g.large, partner, max
		}
		r.Body = x.lim
	}
	return true
}

// bodyRefused reports whether reading the body stopped early: past its
// limit, or large with no place free.
func (x *exchange) bodyRefused() bool { return x.lim != nil && x.lim.refused.Load() != 0 }

// bodyBroken reports whether reading the body failed on the caller's side.
func (x *exchange) bodyBroken() bool { return x.lim != nil && x.lim.broken.Load() }

// refuse answers the call whose body reading stopped early.
func (x *exchange) refuse() {
	if x.lim.refused.Load() == http.StatusTooManyRequests {
		refuseBusy(x.w, x, x.lim.max, x.call.RequestID)
		return
	}
	refuseBody(x.w, x, x.lim.limit, x.call.RequestID)
}

// refuseBody answers 413 on w for the exchange x, dropping any header an
// upstream's answer put there, and closes the connection rather than
// reading the rest of the body.
func refuseBody(w http.ResponseWriter, x *exchange, limit int64, rid string) {
	h := clearForRefusal(w)
	h.Set("Connection", "close")
	writeError(w, http.StatusRequestEntityTooLarge, codeBodyTooLarge,
		"The request body is larger than this API's limit of "+sizeText(limit)+".", rid)
	x.status, x.swallow = http.StatusRequestEntityTooLarge, true
}

// refuseBusy answers 429 on w for the exchange x whose large body found
// none of its partner's max places free, as refuseBody does.
func refuseBusy(w http.ResponseWriter, x *exchange, max int, rid string) {
	h := clearForRefusal(w)
	h.Set("Retry-After", "1")
	h.Set("Connection", "close") // rather than read the body to reuse it
	writeError(w, http.StatusTooManyRequests, codeLargeBodiesBusy,
		"Your organisation has reached its limit of "+strconv.Itoa(max)+" request bodies over "+strconv.Itoa(largeBody>>10)+" KiB in flight to this node; retry when one has finished.", rid)
	x.status, x.swallow = http.StatusTooManyRequests, true
}

// clearForRefusal drops from w's header every header but the gateway's
// own (an upstream's answer may have put some there) and returns it.
func clearForRefusal(w http.ResponseWriter) http.Header {
	h := w.Header()
	for k := range h {
		if !slices.Contains(ownHeaders[:], k) {
			delete(h, k)
		}
	}
	return h
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
