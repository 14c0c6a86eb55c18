package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/usage"
)

type UsageCountsBody struct {
	Calls        int64 `json:"calls"`
	ClientErrors int64 `json:"client_errors_4xx"`
	ServerErrors int64 `json:"server_errors_5xx"`
	Unauthorized int64 `json:"unauthorized_401"`
	Forbidden    int64 `json:"forbidden_403"`
	RateLimited  int64 `json:"rate_limited_429"`
}

type usageRowBody struct {
	ID          int64    `json:"id"`
	Name        string   `json:"name"`
	API         string   `json:"api"`
	Operation   string   `json:"operation"`
	Hint        string   `json:"hint"`
	Environment string   `json:"environment"`
	Owner       string   `json:"owner"`
	Email       string   `json:"email"`
	P95         *float64 `json:"p95_ms"`
	UsageCountsBody
}

type usageBucketBody struct {
	Start   time.Time `json:"start"`
	Sandbox int64     `json:"sandbox"`
	Live    int64     `json:"live"`
	P50     *float64  `json:"p50_ms"`
	P95     *float64  `json:"p95_ms"`
	UsageCountsBody
}

type usageBody struct {
	Scope string `json:"scope"`
	Range struct {
		Name        string    `json:"name"`
		From        time.Time `json:"from"`
		To          time.Time `json:"to"`
		StepSeconds int64     `json:"step_seconds"`
	} `json:"range"`
	Filters struct {
		API     *string `json:"api"`
		TokenID *int64  `json:"token_id"`
	} `json:"filters"`
	Totals     usageBucketBody   `json:"totals"`
	Series     []usageBucketBody `json:"series"`
	APIs       []usageRowBody    `json:"apis"`
	Operations []usageRowBody    `json:"operations"`
	Tokens     []usageRowBody    `json:"tokens"`
	Members    []usageRowBody    `json:"members"`
	Partners   []usageRowBody    `json:"partners"`
	Quotas     []struct {
		GroupID   int64  `json:"group_id"`
		Group     string `json:"group"`
		Quota     int64  `json:"quota"`
		Used      int64  `json:"used"`
		Projected int64  `json:"projected"`
	} `json:"quotas"`
	Rising []struct {
		Partner    string `json:"partner"`
		Calls      int64  `json:"calls"`
		Errors     int64  `json:"errors"`
		BaseCalls  int64  `json:"base_calls"`
		BaseErrors int64  `json:"base_errors"`
	} `json:"rising"`
	NearQuota []struct {
		Partner string `json:"partner"`
		Group   string `json:"group"`
		Used    int64  `json:"used"`
	} `json:"near_quota"`
	Anonymous *struct {
		Calls  int64 `json:"calls"`
		Series []struct {
			Start   time.Time `json:"start"`
			Sandbox int64     `json:"sandbox"`
			Live    int64     `json:"live"`
		} `json:"series"`
	} `json:"anonymous"`
}

// withUsage adds tokens and calls, written through the gateway's calls
// writer so that every rollup holds them: Harbor's developer has a
// sandbox and a live token, Harbor's admin a sandbox token, Crane's
// developer a live token whose 10 002 calls (3 of them to "hoist", an API
// only Crane calls) must never show to Harbor. All calls are now but 5
// calls to "berths" three hours ago. Harbor has the access group "Tally
// quota" (1000 calls a month, the API "tally"). 777 calls without a
// credential are nobody's. It returns the tokens' ids by name.
func (e *env) withUsage() map[string]int64 {
	e.t.Helper()
	e.exec(`
		INSERT INTO apis (slug, name) VALUES ('tally', 'Tally'), ('berths', 'Berths');
		INSERT INTO access_groups (name, rate_limit_per_minute, monthly_quota) VALUES ('Tally quota', 600, 1000), ('No quota', 600, NULL);
		INSERT INTO access_group_apis (access_group_id, api_id, scopes)
		SELECT g.id, a.id, '{read}' FROM access_groups g, apis a WHERE g.name IN ('Tally quota', 'No quota') AND a.slug = 'tally';
		INSERT INTO grants (access_group_id, partner_id, user_id)
		SELECT g.id, u.partner_id, u.id FROM access_groups g, users u WHERE g.name IN ('Tally quota', 'No quota') AND u.email = 'dev@harbor.test';
		INSERT INTO tokens (user_id, partner_id, name, environment, hash, hint, scopes, expires_at)
		SELECT u.id, u.partner_id, v.name, v.env, decode(md5(v.name), 'hex'), v.hint, '{tally/read}', now() + interval '30 days'
		FROM (VALUES ('dev@harbor.test', 'harbor-dev-sandbox', 'sandbox', 'ptc_sbx_…hds1'), ('dev@harbor.test', 'harbor-dev-live', 'live', 'ptc_live_…hdl1'),
		             ('admin@harbor.test', 'harbor-admin-sandbox', 'sandbox', 'ptc_sbx_…has1'), ('dev@crane.test', 'crane-secret-live', 'live', 'ptc_live_…csl1')) v(email, name, env, hint)
		JOIN users u ON u.email = v.email`)
	var toks []struct {
		ID        int64  `db:"id"`
		PartnerID int64  `db:"partner_id"`
		Name      string `db:"name"`
		Env       string `db:"environment"`
	}
	if err := e.store.DB().Select(&toks, `SELECT id, partner_id, name, environment FROM tokens`); err != nil {
		e.t.Fatal(err)
	}
	ids := map[string]int64{}
	var batch []calls.Call
	now := time.Now()
	// Each line: token, hours ago, API, status, calls, latency bucket
	// (1-based, as the rollup's histogram counts them; 16 is over 10 s).
	for _, v := range []struct {
		token           string
		ago             int
		api             string
		status, n, slot int
	}{
		{"harbor-dev-sandbox", 0, "tally", 200, 100, 7}, {"harbor-dev-sandbox", 0, "tally", 404, 10, 4},
		{"harbor-dev-live", 0, "tally", 200, 40, 10}, {"harbor-dev-live", 0, "tally", 500, 2, 16},
		{"harbor-dev-live", 0, "tally", 401, 2, 1},
		{"harbor-admin-sandbox", 0, "tally", 200, 7, 1}, {"crane-secret-live", 0, "tally", 200, 9999, 7},
		{"crane-secret-live", 0, "hoist", 429, 3, 1},
		{"harbor-dev-sandbox", 3, "berths", 200, 5, 7},
	} {
		c := calls.Call{At: now.Add(-time.Duration(v.ago) * time.Hour), API: v.api, Operation: "op", Status: v.status,
			Latency: 11 * time.Second, Method: "GET", Path: "/" + v.api}
		if v.slot <= len(calls.LatencyBuckets) {
			c.Latency = calls.LatencyBuckets[v.slot-1]
		}
		for _, tk := range toks {
			if tk.Name == v.token {
				c.TokenID, c.PartnerID, c.Environment = tk.ID, tk.PartnerID, tk.Env
				ids[tk.Name] = tk.ID
			}
		}
		for range v.n {
			batch = append(batch, c)
		}
	}
	for range 777 {
		batch = append(batch, calls.Call{At: now, API: "tally", Environment: "sandbox", Status: 401, Method: "GET", Path: "/tally"})
	}
	w := calls.NewWriter(e.store, nil, calls.WriterConfig{QueueSize: len(batch) + 1, FlushInterval: time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	for _, c := range batch {
		if err := w.Record(c); err != nil {
			e.t.Fatalf("record a call: %v", err)
		}
	}
	cancel()
	if err := <-done; err != nil {
		e.t.Fatalf("write the calls: %v", err)
	}
	return ids
}

// named lists a table's rows as "name calls" (null stays nil).
func named(rows []usageRowBody) []string {
	if rows == nil {
		return nil
	}
	out := []string{}
	for _, r := range rows {
		name := r.Name
		switch {
		case r.Operation != "":
			name = r.Operation + "@" + r.API
		case r.API != "":
			name = r.API
		}
		out = append(out, name+" "+strconv.FormatInt(r.Calls, 10))
	}
	return out
}

// TestUsageAPIScopes: GET /api/v1/usage answers each role the usage the
// policy gives it and never another partner's (both ways): a developer
// their own tokens, a partner admin their partner with the members'
// shares and the quotas, staff every partner with the top consumers and
// the rising error rates (and tokens partner by partner, as on the
// page); calls without a credential are nobody's, shown apart to the
// platform admin alone.
func TestUsageAPIScopes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withUsage()
	// Harbor's 14 errors in 166 calls are a rising rate (none the week
	// before); Crane's 3 in 10 002 are not.
	staffTables := struct{ apis, ops, partners, rising []string }{[]string{"tally 10160", "berths 5", "hoist 3"},
		[]string{"op@tally 10160", "op@berths 5", "op@hoist 3"}, []string{"Crane Works 10002", "Harbor Logistics 166"},
		[]string{"Harbor Logistics 14/166 after 0/0"}}
	for _, tc := range []struct {
		who, scope, never     string
		total, refused        int64
		apis, operations      []string
		tokens, members       []string
		partners, quotas      []string
		unauthorized, limited int64
		rising                []string
		anonymous             int64
	}{
		{who: "dev@harbor.test", scope: "own", never: "crane", total: 159, unauthorized: 2, apis: []string{"tally 154", "berths 5"},
			operations: []string{"op@tally 154", "op@berths 5"}, tokens: []string{"harbor-dev-sandbox 115", "harbor-dev-live 44"}},
		{who: "admin@harbor.test", scope: "partner", never: "crane", total: 166, unauthorized: 2, apis: []string{"tally 161", "berths 5"},
			operations: []string{"op@tally 161", "op@berths 5"},
			tokens:     []string{"harbor-dev-sandbox 115", "harbor-dev-live 44", "harbor-admin-sandbox 7"},
			members:    []string{"Dev Harbor 159", "Ada Harbor 7"}, quotas: []string{"Tally quota 161/1000"}},
		{who: "dev@crane.test", scope: "own", never: "harbor", total: 10002, limited: 3, apis: []string{"tally 9999", "hoist 3"},
			operations: []string{"op@tally 9999", "op@hoist 3"}, tokens: []string{"crane-secret-live 10002"}},
		{who: "admin@crane.test", scope: "partner", never: "harbor", total: 10002, limited: 3, apis: []string{"tally 9999", "hoist 3"},
			operations: []string{"op@tally 9999", "op@hoist 3"}, tokens: []string{"crane-secret-live 10002"},
			members: []string{"Dan Crane 10002"}, quotas: []string{}},
		{who: "am@portico.test", scope: "all", total: 10168, unauthorized: 2, limited: 3, apis: staffTables.apis,
			operations: staffTables.ops, partners: staffTables.partners, rising: staffTables.rising, anonymous: -1},
		{who: "admin@portico.test", scope: "all", total: 10168, unauthorized: 2, limited: 3, apis: staffTables.apis,
			operations: staffTables.ops, partners: staffTables.partners, rising: staffTables.rising, anonymous: 777},
	} {
		t.Run(tc.who, func(t *testing.T) {
			t.Parallel()
			rec := e.call(e.signIn(tc.who), http.MethodGet, "/api/v1/usage", "")
			if rec.Code != http.StatusOK {
				t.Fatalf("GET /api/v1/usage = %d %s", rec.Code, rec.Body)
			}
			if tc.never != "" && strings.Contains(strings.ToLower(rec.Body.String()), tc.never) {
				t.Errorf("the answer names %q: %s", tc.never, rec.Body)
			}
			got := decodeBody[usageBody](t, rec)
			tot := got.Totals
			if got.Scope != tc.scope || tot.Calls != tc.total || tot.Unauthorized != tc.unauthorized || tot.RateLimited != tc.limited ||
				got.Range.Name != "24h" || len(got.Series) != 24 {
				t.Errorf("scope %q, %d calls (%d 401, %d 429), range %q, %d buckets; want %q, %d (%d, %d), 24h, 24",
					got.Scope, tot.Calls, tot.Unauthorized, tot.RateLimited, got.Range.Name, len(got.Series), tc.scope, tc.total, tc.unauthorized, tc.limited)
			}
			var quotas []string
			if got.Quotas != nil {
				quotas = []string{}
				for _, q := range got.Quotas {
					quotas = append(quotas, q.Group+" "+strconv.FormatInt(q.Used, 10)+"/"+strconv.FormatInt(q.Quota, 10))
					if q.Projected < q.Used {
						t.Errorf("quota %s: projected %d below used %d", q.Group, q.Projected, q.Used)
					}
				}
			}
			var rising []string
			if got.Rising != nil {
				rising = []string{}
				for _, r := range got.Rising {
					rising = append(rising, fmt.Sprintf("%s %d/%d after %d/%d", r.Partner, r.Errors, r.Calls, r.BaseErrors, r.BaseCalls))
				}
			}
			if (got.NearQuota != nil) != (got.Rising != nil) {
				t.Errorf("near_quota %v beside rising %v: staff get both, others neither", got.NearQuota, got.Rising)
			}
			switch {
			case tc.anonymous < 0 && got.Anonymous != nil:
				t.Errorf("calls without a credential shown: %+v", got.Anonymous)
			case tc.anonymous > 0 && (got.Anonymous == nil || got.Anonymous.Calls != tc.anonymous || len(got.Anonymous.Series) != 24):
				t.Errorf("calls without a credential: %+v, want %d in 24 buckets", got.Anonymous, tc.anonymous)
			case tc.anonymous == 0 && got.Anonymous != nil:
				t.Errorf("a partner user sees calls without a credential: %+v", got.Anonymous)
			}
			for _, c := range []struct {
				table     string
				got, want []string
			}{
				{"apis", named(got.APIs), tc.apis}, {"operations", named(got.Operations), tc.operations},
				{"tokens", named(got.Tokens), tc.tokens}, {"members", named(got.Members), tc.members},
				{"partners", named(got.Partners), tc.partners}, {"quotas", quotas, tc.quotas}, {"rising", rising, tc.rising},
			} {
				if diff := cmp.Diff(c.want, c.got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", c.table, diff)
				}
			}
		})
	}
}

// TestUsageAPISeries: the buckets and totals say what the rollups hold:
// Harbor's current hour and the berths calls three hours before, each
// environment, error class and refusal apart, latency from the
// histograms; each token row says its hint, environment and owner; the
// 7-day and custom ranges have daily and hourly buckets.
func TestUsageAPISeries(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withUsage()
	admin := e.signIn("admin@harbor.test")
	got := decodeBody[usageBody](t, e.call(admin, http.MethodGet, "/api/v1/usage?range=24h", ""))
	if got.Range.StepSeconds != 3600 || !got.Range.To.Equal(got.Range.From.Add(24*time.Hour)) || got.Range.To.Before(time.Now()) {
		t.Errorf("range %+v: want the 24 hours up to the end of the current one", got.Range)
	}
	type bucket struct{ Sandbox, Live, Calls, C4, C5, C401 int64 }
	var busy []bucket
	var at []int
	var sum bucket
	for i, b := range got.Series {
		if !b.Start.Equal(got.Range.From.Add(time.Duration(i) * time.Hour)) {
			t.Errorf("bucket %d starts %v", i, b.Start)
		}
		if b.Calls == 0 {
			if b.P50 != nil || b.P95 != nil {
				t.Errorf("bucket %d without calls has latencies", i)
			}
			continue
		}
		busy, at = append(busy, bucket{b.Sandbox, b.Live, b.Calls, b.ClientErrors, b.ServerErrors, b.Unauthorized}), append(at, i)
		sum = bucket{sum.Sandbox + b.Sandbox, sum.Live + b.Live, sum.Calls + b.Calls, sum.C4 + b.ClientErrors, sum.C5 + b.ServerErrors, sum.C401 + b.Unauthorized}
	}
	if diff := cmp.Diff([]bucket{{5, 0, 5, 0, 0, 0}, {117, 44, 161, 12, 2, 2}}, busy); diff != "" || len(at) != 2 || at[1]-at[0] != 3 {
		t.Errorf("buckets with calls at %v (-want +got):\n%s", at, diff)
	}
	tot := got.Totals
	if diff := cmp.Diff(sum, bucket{tot.Sandbox, tot.Live, tot.Calls, tot.ClientErrors, tot.ServerErrors, tot.Unauthorized}); diff != "" {
		t.Errorf("totals are not the buckets' sum (-buckets +totals):\n%s", diff)
	}
	// The whole range's histogram: 9 calls ≤ 250 µs, 10 in (1, 2.5] ms,
	// 105 in (10, 25] ms, 40 in (100, 250] ms, 2 slower than 10 s.
	var h usage.Histogram
	h[0], h[3], h[6], h[9], h[15] = 9, 10, 105, 40, 2
	p50, _, _ := h.Millis(0.5)
	p95, _, _ := h.Millis(0.95)
	if tot.P50 == nil || tot.P95 == nil || *tot.P50 != p50 || *tot.P95 != p95 {
		t.Errorf("totals' p50 %v p95 %v, want %v and %v", tot.P50, tot.P95, p50, p95)
	}
	var tokens []string
	for _, tk := range got.Tokens {
		tokens = append(tokens, tk.Name+"|"+tk.Hint+"|"+tk.Environment+"|"+tk.Owner)
	}
	if diff := cmp.Diff([]string{"harbor-dev-sandbox|ptc_sbx_…hds1|sandbox|Dev Harbor", "harbor-dev-live|ptc_live_…hdl1|live|Dev Harbor",
		"harbor-admin-sandbox|ptc_sbx_…has1|sandbox|Ada Harbor"}, tokens); diff != "" {
		t.Errorf("token rows (-want +got):\n%s", diff)
	}

	today := time.Now().UTC()
	for _, tc := range []struct {
		path          string
		step, buckets int
	}{
		{"/api/v1/usage?range=7d", 86400, 7},
		{"/api/v1/usage?range=custom&from=" + today.AddDate(0, 0, -6).Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly), 86400, 7},
		{"/api/v1/usage?range=custom&from=" + today.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + today.Format(time.DateOnly), 3600, 48},
	} {
		got := decodeBody[usageBody](t, e.call(admin, http.MethodGet, tc.path, ""))
		if got.Range.StepSeconds != int64(tc.step) || len(got.Series) != tc.buckets || got.Totals.Calls != 166 {
			t.Errorf("%s: step %d, %d buckets, %d calls; want %d, %d, 166", tc.path, got.Range.StepSeconds, len(got.Series), got.Totals.Calls, tc.step, tc.buckets)
		}
	}
}

// TestUsageAPIFilters: api and token_id narrow every number but the
// quotas; an API or a token outside the caller's scope answers exactly
// as one that does not exist (no calls), so neither can be probed.
func TestUsageAPIFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ids := e.withUsage()
	id := func(name string) string { return strconv.FormatInt(ids[name], 10) }
	get := func(cookie, query string) usageBody {
		t.Helper()
		rec := e.call(cookie, http.MethodGet, "/api/v1/usage?"+query, "")
		if rec.Code != http.StatusOK {
			t.Fatalf("?%s = %d %s", query, rec.Code, rec.Body)
		}
		return decodeBody[usageBody](t, rec)
	}
	admin, dev, am := e.signIn("admin@harbor.test"), e.signIn("dev@harbor.test"), e.signIn("am@portico.test")

	tally := get(admin, "api=tally")
	if tally.Filters.API == nil || *tally.Filters.API != "tally" || tally.Totals.Calls != 161 ||
		!cmp.Equal(named(tally.Members), []string{"Dev Harbor 154", "Ada Harbor 7"}) || !cmp.Equal(named(tally.APIs), []string{"tally 161"}) {
		t.Errorf("api=tally: filters %v, %d calls, members %v, apis %v", tally.Filters, tally.Totals.Calls, named(tally.Members), named(tally.APIs))
	}
	if len(tally.Quotas) != 1 || tally.Quotas[0].Used != 161 {
		t.Errorf("api=tally: quotas %+v, want the month's use", tally.Quotas)
	}
	live := get(admin, "token_id="+id("harbor-dev-live"))
	if live.Totals.Calls != 44 || live.Totals.Unauthorized != 2 || !cmp.Equal(named(live.Tokens), []string{"harbor-dev-live 44"}) ||
		live.Filters.TokenID == nil || *live.Filters.TokenID != ids["harbor-dev-live"] {
		t.Errorf("token_id of harbor-dev-live: %d calls, %d 401, tokens %v", live.Totals.Calls, live.Totals.Unauthorized, named(live.Tokens))
	}
	if got := get(am, "api=hoist"); !cmp.Equal(named(got.Partners), []string{"Crane Works 3"}) || got.Totals.Calls != 3 {
		t.Errorf("staff, api=hoist: %d calls, partners %v", got.Totals.Calls, named(got.Partners))
	}

	// Outside the scope is nothing, as unknown is: the same answer.
	nothing := func(cookie, query string) usageBody {
		t.Helper()
		got := get(cookie, query)
		got.Filters.API, got.Filters.TokenID = nil, nil
		return got
	}
	for _, tc := range []struct {
		who, cookie, outside, unknown string
	}{
		{"Harbor's admin, Crane's API", admin, "api=hoist", "api=nope"},
		{"Harbor's admin, Crane's token", admin, "token_id=" + id("crane-secret-live"), "token_id=987654321"},
		{"Harbor's developer, Crane's token", dev, "token_id=" + id("crane-secret-live"), "token_id=987654321"},
		{"Harbor's developer, their admin's token", dev, "token_id=" + id("harbor-admin-sandbox"), "token_id=987654321"},
	} {
		out, unk := nothing(tc.cookie, tc.outside), nothing(tc.cookie, tc.unknown)
		if diff := cmp.Diff(unk, out); diff != "" {
			t.Errorf("%s: answers differ from an unknown one's (-unknown +outside):\n%s", tc.who, diff)
		}
		if out.Totals.Calls != 0 || len(out.APIs) != 0 || len(out.Tokens) != 0 {
			t.Errorf("%s: %d calls, apis %v, tokens %v; want none", tc.who, out.Totals.Calls, named(out.APIs), named(out.Tokens))
		}
	}
}

// TestUsageAPIRefusals: a bad range, day, API or token id is a 400 JSON
// error with a request id; signed out is a 401; a token needs
// portal:usage:read and then answers its owner's usage (a developer's
// token their own tokens' calls).
func TestUsageAPIRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.withUsage()
	admin := e.signIn("admin@harbor.test")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	for _, tc := range []struct{ query, says string }{
		{"range=forever", "24h, 7d or 30d"}, {"range=24H", "24h, 7d or 30d"}, {"range=90d", "24h, 7d or 30d"}, {"range=all", "24h, 7d or 30d"},
		{"range=custom", "from, to"}, {"range=custom&from=2026-02-30&to=2026-03-01", "from, to"},
		{"range=custom&from=2026-03-02&to=2026-03-01", "from, to"}, {"range=custom&from=2026-01-01&to=" + tomorrow, "after today"},
		{"range=custom&from=2020-01-01&to=2026-01-01", "366"}, {"range=7d&from=2026-01-01", "range=custom"},
		{"api=" + strings.Repeat("a", 101), "api"}, {"token_id=0", "token_id"}, {"token_id=abc", "token_id"}, {"token_id=-4", "token_id"},
	} {
		rec := e.callOff(admin, http.MethodGet, "/api/v1/usage?"+tc.query, "", "")
		want(t, tc.query, rec, http.StatusBadRequest, "bad_request")
		if msg := decodeBody[apiError](t, rec).Error.Message; !strings.Contains(msg, tc.says) {
			t.Errorf("%s: message %q does not say %q", tc.query, msg, tc.says)
		}
	}
	want(t, "signed out", e.call("", http.MethodGet, "/api/v1/usage", ""), http.StatusUnauthorized, "unauthorized")

	reader := e.createToken(e.signIn("dev@harbor.test"), "live", "portal:usage:read").Token
	rec := e.bearer(reader, http.MethodGet, "/api/v1/usage?range=7d", "")
	if got := decodeBody[usageBody](t, rec); rec.Code != http.StatusOK || got.Scope != "own" || got.Totals.Calls != 159 ||
		!cmp.Equal(named(got.Tokens), []string{"harbor-dev-sandbox 115", "harbor-dev-live 44"}) {
		t.Errorf("developer's token: %d %s", rec.Code, rec.Body)
	}
	adminReader := e.createToken(admin, "live", "portal:usage:read").Token
	if got := decodeBody[usageBody](t, e.bearer(adminReader, http.MethodGet, "/api/v1/usage", "")); got.Scope != "partner" || got.Totals.Calls != 166 {
		t.Errorf("partner admin's token: scope %q, %d calls; want partner, 166", got.Scope, got.Totals.Calls)
	}
	other := e.createToken(admin, "live", "portal:audit:read").Token
	want(t, "token without portal:usage:read", e.bearer(other, http.MethodGet, "/api/v1/usage", ""), http.StatusForbidden, "insufficient_scope")
}
