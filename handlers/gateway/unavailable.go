package gateway

import (
	"net/http"

	"github.com/portico/portico/internal/store"
)

// loadFailed answers a call whose API the gateway could not load from the
// database, and logs why: 503 with Retry-After when the database cannot be
// reached (stopped, restarting), so clients retry and no outage reads as
// a bug; 500 for anything else.
func (g *Gateway) loadFailed(x *exchange, what, slug, rid string, err error) {
	g.d.Log.Error("gateway: "+what, "api", slug, "request_id", rid, "err", err)
	if store.Unavailable(err) {
		x.Header().Set("Retry-After", "1")
		writeError(x, http.StatusServiceUnavailable, codeUnavailable, "The gateway cannot load this API right now; try again shortly.", rid)
		return
	}
	writeError(x, http.StatusInternalServerError, codeInternal, "The gateway failed to load this API. Quote the request id to support.", rid)
}
