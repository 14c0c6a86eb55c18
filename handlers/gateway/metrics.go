package gateway

import "time"

// APIMetrics counts the calls of one API in one environment for
// monitoring. It is an unnamed interface (an alias), so a metrics package
// implements Metrics without importing the gateway.
type APIMetrics = interface {
	// Call counts a call answered with status after latency.
	Call(status int, latency time.Duration)
	// Limited counts a call refused by limit: "token" (the token's own
	// rate limit), "partner_ceiling" (the partner's own, across its
	// groups), "partner" (the access group's) or "quota".
	Limited(limit string)
}

// Metrics hands out the counters of each API in each environment. API is
// called when the gateway loads an API into its route cache (not per
// call), so the counters of a call are found without a lookup or an
// allocation. slug is a catalog API's, or "" for calls that matched none
// (bad path, bad token, unknown API, full audit queue): label values stay
// bounded by the catalog whatever callers put in their URLs.
type Metrics interface {
	API(env, slug string) APIMetrics
}

// OAuthMetrics is what Metrics may also do: count the answers of the
// OAuth endpoints, by endpoint (token, introspect, revoke, metadata) and
// outcome ("ok" or the error code). Optional, so a Metrics of calls only
// still serves.
type OAuthMetrics interface {
	OAuth(endpoint, outcome string)
}

// Limits named in Limited.
const (
	limitToken   = "token"
	limitCeiling = "partner_ceiling"
	limitPartner = "partner"
	limitQuota   = "quota"
)

// envIndex numbers the environments for per-environment arrays: sandbox,
// live, and anything else (a path outside both).
func envIndex(env string) int {
	switch env {
	case "sandbox":
		return 0
	case "live":
		return 1
	}
	return 2
}

var envNames = [3]string{"sandbox", "live", ""}

// apiMetrics resolves the counters of slug in every environment, or nil
// when metrics are off. A catalog API is only reached through sandbox or
// live (split), so its third entry stays nil: no series that never moves.
func (g *Gateway) apiMetrics(slug string) *[3]APIMetrics {
	if g.d.Metrics == nil {
		return nil
	}
	var m [3]APIMetrics
	for i, env := range envNames {
		if env == "" && slug != "" {
			continue
		}
		m[i] = g.d.Metrics.API(env, slug)
	}
	return &m
}

// limited counts a refusal by limit, when metrics are on.
func (x *exchange) limited(limit string) {
	if x.m != nil {
		x.m.Limited(limit)
	}
}
