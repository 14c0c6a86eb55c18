package gateway

import (
	"net/http"
	"strconv"

	"github.com/portico/portico/internal/ratelimit"
)

// setRateHeaders writes the IETF httpapi RateLimit headers.
func setRateHeaders(h http.Header, policy string, d ratelimit.Decision) {
	name := strconv.Quote(policy)
	h.Set("RateLimit-Policy", name+";q="+strconv.Itoa(d.Limit)+";w=60")
	h.Set("RateLimit", name+";r="+strconv.Itoa(max(d.Remaining, 0))+";t="+strconv.Itoa(retrySeconds(d.Reset)))
	if !d.Allowed {
		h.Set("Retry-After", strconv.Itoa(retrySeconds(d.RetryAfter)))
	}
}
