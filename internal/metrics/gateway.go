package metrics

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// NoAPI is the api label of gateway calls that matched no catalog API
// (refused before: bad path or token, unknown or ungranted API, full audit
// queue). Slugs cannot hold parentheses, so it names no real API.
const NoAPI = "(none)"

// classes are the status class labels, by status/100 (0: no status).
var classes = [6]string{"other", "1xx", "2xx", "3xx", "4xx", "5xx"}

// limits are the limit labels of portico_gateway_rate_limited_total.
var limits = [4]string{"token", "partner_ceiling", "partner", "quota"}

// Gateway holds the gateway's series. Its API method hands the gateway
// the counters of one API and environment, resolved once; counting a call
// is then two atomic adds and no allocation.
type Gateway struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	limited  *prometheus.CounterVec
	oauth    *prometheus.CounterVec
}

// oauthEndpoints and oauthOutcomes are the label values of
// portico_oauth_requests_total; anything else is counted as "other", so a
// caller can never add a series.
var (
	oauthEndpoints = []string{"token", "introspect", "revoke", "metadata"}
	oauthOutcomes  = []string{"ok", "invalid_request", "invalid_client", "unauthorized_client",
		"unsupported_grant_type", "invalid_scope", "unsupported_token_type", "temporarily_unavailable", "server_error"}
)

func newGateway() *Gateway {
	return &Gateway{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_gateway_requests_total",
			Help: "Gateway calls answered, by environment, API (catalog slug, or (none)) and status class."},
			[]string{"environment", "api", "class"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "portico_gateway_request_duration_seconds",
			Help:    "Time from a gateway call's arrival to the end of its answer, by environment.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}},
			[]string{"environment"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_gateway_rate_limited_total",
			Help: "Gateway calls refused with 429 by a limit: the token's own rate limit, the partner's ceiling across its groups (partner_ceiling), the partner's (access group) rate limit, or the monthly quota."},
			[]string{"environment", "api", "limit"}),
		oauth: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "portico_oauth_requests_total",
			Help: "OAuth endpoint requests answered, by endpoint (token, introspect, revoke, metadata) and outcome (ok, or the RFC 6749/7009 error code)."},
			[]string{"endpoint", "outcome"}),
	}
}

// OAuth counts one answer of an OAuth endpoint: outcome is "ok" or the
// error code answered. Values outside the known sets count as "other".
func (g *Gateway) OAuth(endpoint, outcome string) {
	if !slices.Contains(oauthEndpoints, endpoint) {
		endpoint = "other"
	}
	if !slices.Contains(oauthOutcomes, outcome) {
		outcome = "other"
	}
	g.oauth.WithLabelValues(endpoint, outcome).Inc()
}

// API returns the counters of slug's calls in env; slug "" is NoAPI and
// an env other than sandbox or live is "other". The gateway calls it when
// it loads an API (not per call), so the label values are bounded by the
// catalog, never taken from a caller's URL.
func (g *Gateway) API(env, slug string) interface {
	Call(status int, latency time.Duration)
	Limited(limit string)
} {
	if env != "sandbox" && env != "live" {
		env = "other"
	}
	if slug == "" {
		slug = NoAPI
	}
	c := &apiCounters{latency: g.latency.WithLabelValues(env)}
	for i, class := range classes {
		c.classes[i] = g.requests.WithLabelValues(env, slug, class)
	}
	for i, l := range limits {
		c.limited[i] = g.limited.WithLabelValues(env, slug, l)
	}
	return c
}

// apiCounters are the series children of one API in one environment.
type apiCounters struct {
	classes [len(classes)]prometheus.Counter
	limited [len(limits)]prometheus.Counter
	latency prometheus.Observer
}

// Call counts a call answered with status after latency.
func (c *apiCounters) Call(status int, latency time.Duration) {
	i := status / 100
	if i < 1 || i >= len(classes) {
		i = 0
	}
	c.classes[i].Inc()
	c.latency.Observe(latency.Seconds())
}

// Limited counts a call refused by limit.
func (c *apiCounters) Limited(limit string) {
	for i, l := range limits {
		if l == limit {
			c.limited[i].Inc()
			return
		}
	}
}
