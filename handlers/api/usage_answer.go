package api

import (
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
)

// usageAnswer is GET /api/v1/usage. A table the caller's view does not
// have is null: partners and rising outside staff's view, tokens in
// staff's (the page shows them partner by partner), members and quotas
// outside one partner's, anonymous but for the platform admin; a table
// without rows is [].
type usageAnswer struct {
	// Scope says whose calls these are: "own" (the caller's tokens),
	// "partner" (the caller's partner) or "all" (every partner the
	// caller may see: an account manager's, those they manage).
	Scope      string           `json:"scope"`
	Range      usageRange       `json:"range"`
	Filters    usageFilters     `json:"filters"`
	Totals     usageBucket      `json:"totals"`
	Series     []usageBucket    `json:"series"`
	APIs       []usageAPI       `json:"apis"`
	Operations []usageOperation `json:"operations"`
	Tokens     []usageToken     `json:"tokens"`
	Members    []usageMember    `json:"members"`
	Partners   []usagePartner   `json:"partners"`
	Quotas     []usageQuota     `json:"quotas"`
	Rising     []usageRising    `json:"rising"`
	NearQuota  []usageNearQuota `json:"near_quota"`
	Anonymous  *usageAnonymous  `json:"anonymous"`
}

type usageRange struct {
	Name        string    `json:"name"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	StepSeconds int64     `json:"step_seconds"`
}

type usageFilters struct {
	API     *string `json:"api"`
	TokenID *int64  `json:"token_id"`
}

// usageCounts are the counts every bucket and ranked row has: the calls,
// the 4xx and 5xx among them, and 401, 403 and 429 by name.
type usageCounts struct {
	Calls        int64 `json:"calls"`
	ClientErrors int64 `json:"client_errors_4xx"`
	ServerErrors int64 `json:"server_errors_5xx"`
	Unauthorized int64 `json:"unauthorized_401"`
	Forbidden    int64 `json:"forbidden_403"`
	RateLimited  int64 `json:"rate_limited_429"`
}

// usageBucket is one bucket of the series, or the whole range (totals);
// Start is the zero time for the totals and left out.
type usageBucket struct {
	Start   *time.Time `json:"start,omitempty"`
	Sandbox int64      `json:"sandbox"`
	Live    int64      `json:"live"`
	usageCounts
	P50 *float64 `json:"p50_ms"`
	P95 *float64 `json:"p95_ms"`
}

type usageAPI struct {
	API string `json:"api"`
	usageCounts
	P95 *float64 `json:"p95_ms"`
}

type usageOperation struct {
	Operation string `json:"operation"`
	API       string `json:"api"`
	usageCounts
	P95 *float64 `json:"p95_ms"`
}

type usageToken struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Hint        string `json:"hint"`
	Environment string `json:"environment"`
	Owner       string `json:"owner"`
	usageCounts
	P95 *float64 `json:"p95_ms"`
}

type usageMember struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	usageCounts
}

type usagePartner struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	usageCounts
	P95 *float64 `json:"p95_ms"`
}

// usageNearQuota is a partner's monthly quota, nearly used.
type usageNearQuota struct {
	PartnerID int64  `json:"partner_id"`
	Partner   string `json:"partner"`
	usageQuota
}

type usageQuota struct {
	GroupID   int64  `json:"group_id"`
	Group     string `json:"group"`
	Quota     int64  `json:"quota"`
	Used      int64  `json:"used"`
	Projected int64  `json:"projected"`
}

// newUsageAnswer starts the answer of view v to req: the range, the
// filters, the series from s and their totals, empty tables of every
// view.
func newUsageAnswer(v usage.View, req usageRequest, s usage.Sums) usageAnswer {
	rng := req.rng
	out := usageAnswer{Scope: "own", Series: make([]usageBucket, 0, rng.Buckets), APIs: []usageAPI{}, Operations: []usageOperation{},
		Range: usageRange{Name: rng.Name, From: utc(rng.From), To: utc(rng.To), StepSeconds: int64(rng.Step / time.Second)}}
	switch {
	case v.Everyone:
		out.Scope = "all"
	case v.Partner:
		out.Scope = "partner"
	}
	if req.api != "" {
		out.Filters.API = &req.api
	}
	if req.tokenID != 0 {
		out.Filters.TokenID = &req.tokenID
	}
	t := &out.Totals
	for i := range rng.Buckets {
		start := utc(rng.Start(i))
		b := usageBucket{Start: &start, Sandbox: s.Sandbox[i], Live: s.Live[i],
			usageCounts: usageCounts{Calls: s.Sandbox[i] + s.Live[i], ClientErrors: s.ClientErrors[i], ServerErrors: s.ServerErrors[i],
				Unauthorized: s.Unauthorized[i], Forbidden: s.Forbidden[i], RateLimited: s.RateLimited[i]},
			P50: millis(s.Hist[i], 0.5), P95: millis(s.Hist[i], 0.95)}
		out.Series = append(out.Series, b)
		t.Sandbox, t.Live, t.Calls = t.Sandbox+b.Sandbox, t.Live+b.Live, t.Calls+b.Calls
		t.ClientErrors, t.ServerErrors = t.ClientErrors+b.ClientErrors, t.ServerErrors+b.ServerErrors
		t.Unauthorized, t.Forbidden, t.RateLimited = t.Unauthorized+b.Unauthorized, t.Forbidden+b.Forbidden, t.RateLimited+b.RateLimited
	}
	t.P50, t.P95 = millis(s.All, 0.5), millis(s.All, 0.95)
	return out
}

func countsOf(c store.UsageCounts) usageCounts {
	return usageCounts{Calls: c.Calls, ClientErrors: c.ClientErrors, ServerErrors: c.ServerErrors,
		Unauthorized: c.Unauthorized, Forbidden: c.Forbidden, RateLimited: c.RateLimited}
}

// millis is the q-quantile of h in milliseconds, null without calls. One
// among the calls slower than the histogram's last bound (10 s) is that
// bound.
func millis(h usage.Histogram, q float64) *float64 {
	ms, _, ok := h.Millis(q)
	if !ok {
		return nil
	}
	return &ms
}
