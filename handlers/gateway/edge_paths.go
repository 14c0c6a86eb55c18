package gateway

import (
	"net/http"

	"github.com/portico/portico/internal/requestid"
)

// elsewhere answers a call outside the machine surface (/, a scanner's
// /wp-login.php…) as the gateway answers a path it does not know, but
// without running the chain: it is no partner's call, and recording it
// would take room in the audit queue. /healthz answers as the portal's.
func (e *Edge) elsewhere(w *edgeWriter, r *http.Request) {
	h := w.Header()
	if r.URL.Path == "/healthz" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		h.Set("Content-Type", "application/json")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(e.health)
		return
	}
	rid := r.Header.Get("X-Request-Id")
	if !requestid.Valid(rid) {
		rid = e.g.newRequestID()
	}
	h.Set("X-Request-Id", rid)
	h["X-Content-Type-Options"], h["Content-Security-Policy"] = nosniff, sandboxed
	writeError(w, http.StatusNotFound, codeNotFound, "Call /sandbox/{api}/… or /live/{api}/…, with the API's slug from the catalog.", rid)
}
