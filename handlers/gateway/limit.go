package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/ratelimit"
)

// tokenPolicy and partnerPolicy name a token's own limit and its
// partner's ceiling in the RateLimit headers (a group's limit is named
// after the group).
const (
	tokenPolicy   = "token"
	partnerPolicy = "partner"
)

// limit applies the limits of the call, setting the RateLimit headers:
// the token's own rate limit when its owner set one, the partner's rate
// limit for the access group through which it reaches the API, the
// partner's ceiling across all its groups when its account manager set
// one, and the group's monthly quota; false when the call was refused
// (and answered).
//
// They are checked from the narrowest to the widest, so that the calls
// one refuses spend nothing of the wider ones after it: one token at its
// cap cannot use up what its colleagues share, nor one API at its group's
// limit the ceiling the partner's other APIs share. Of the limits that all
// allow the call, the headers report the one with fewest calls left.
func (g *Gateway) limit(x *exchange, r *http.Request, p *credential.Principal, grant *credential.APIGrant, rid string) bool {
	l := grant.Limit
	if g.d.Limiter != nil && (l.PerMinute > 0 || p.TokenLimit > 0 || p.PartnerLimit > 0) {
		var shown ratelimit.Decision
		policy := ""
		if p.TokenLimit > 0 {
			d, err := g.d.Limiter.Allow(r.Context(), p.TokenRateKey, p.TokenLimit)
			if err != nil {
				limiterDown(x, rid)
				return false
			}
			if !d.Allowed {
				x.limited(limitToken)
				ratelimit.SetHeaders(x.Header(), tokenPolicy, d)
				writeError(x, http.StatusTooManyRequests, codeTokenRateLimited,
					fmt.Sprintf("This token's own limit is %d requests per minute, set by its owner in the portal below your organisation's limits. Retry after %d s.", p.TokenLimit, retrySeconds(d.RetryAfter)), rid)
				return false
			}
			shown, policy = d, tokenPolicy
		}
		if l.PerMinute > 0 {
			d, err := g.d.Limiter.Allow(r.Context(), l.RateKey, l.PerMinute)
			if err != nil {
				limiterDown(x, rid)
				return false
			}
			if !d.Allowed {
				x.limited(limitPartner)
				ratelimit.SetHeaders(x.Header(), l.Policy, d)
				writeError(x, http.StatusTooManyRequests, codeRateLimited,
					fmt.Sprintf("Your organisation's limit for this API is %d requests per minute (access group %q). Retry after %d s.", l.PerMinute, l.Policy, retrySeconds(d.RetryAfter)), rid)
				return false
			}
			if policy == "" || !closer(shown, d) {
				shown, policy = d, l.Policy
			}
		}
		if p.PartnerLimit > 0 {
			d, err := g.d.Limiter.Allow(r.Context(), p.PartnerRateKey, p.PartnerLimit)
			if err != nil {
				limiterDown(x, rid)
				return false
			}
			if !d.Allowed {
				x.limited(limitCeiling)
				ratelimit.SetHeaders(x.Header(), partnerPolicy, d)
				writeError(x, http.StatusTooManyRequests, codePartnerRateLimited,
					fmt.Sprintf("Your organisation's ceiling is %d requests per minute across all its APIs, set by its account manager. Retry after %d s.", p.PartnerLimit, retrySeconds(d.RetryAfter)), rid)
				return false
			}
			if policy == "" || !closer(shown, d) {
				shown, policy = d, partnerPolicy
			}
		}
		ratelimit.SetHeaders(x.Header(), policy, shown)
	}
	if g.d.Quota != nil && l.MonthlyQuota > 0 {
		now := g.now()
		used, ok, err := g.d.Quota.Use(r.Context(), l.QuotaKey, l.MonthlyQuota, now)
		if err != nil {
			g.d.Log.Warn("gateway: quota unavailable, allowing", "request_id", rid, "err", err)
			return true
		}
		if !ok {
			x.limited(limitQuota)
			y, m, _ := now.UTC().Date()
			next := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
			x.Header().Set("Retry-After", strconv.Itoa(int(next.Sub(now).Seconds())+1))
			writeError(x, http.StatusTooManyRequests, codeQuotaExceeded,
				fmt.Sprintf("Your organisation used its monthly quota of %d calls (%d so far) for access group %q; it renews on %s.", l.MonthlyQuota, used, l.Policy, next.Format("2 January 2006")), rid)
			return false
		}
	}
	return true
}

// limiterDown answers a call whose limits cannot be checked. The
// limiter's own failure mode decided already (it wraps the backend): an
// error means "refuse".
func limiterDown(x *exchange, rid string) {
	x.Header().Set("Retry-After", "1")
	writeError(x, http.StatusServiceUnavailable, codeUnavailable, "Rate limits cannot be checked right now; try again shortly.", rid)
}

// closer reports whether decision a, of two that allowed a call, is closer
// to refusing than b: fewer calls left, or b's backend did not answer.
func closer(a, b ratelimit.Decision) bool {
	if a.Degraded != b.Degraded {
		return b.Degraded
	}
	return a.Remaining < b.Remaining
}

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
