package gateway_test

import (
	"net/url"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/metrics"
	"github.com/portico/portico/internal/metrics/metricstest"
)

// TestOAuthMetrics: each answer of an OAuth endpoint is counted once
// under its endpoint and outcome (ok or the error code answered), and a
// caller's made-up grant type or scope never becomes a label value.
func TestOAuthMetrics(t *testing.T) {
	t.Parallel()
	f := newOAuthFixture(t)
	reg := prometheus.NewRegistry()
	gm, err := metrics.New(reg, metrics.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	srv := f.nodeWith(t, handlers.Deps{GatewayMetrics: gm})
	c := f.client(t, nil)
	basic := [2]string{c.ClientID, c.Secret}
	for _, req := range []struct {
		r    oauthReq
		want int
	}{
		{oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: basic}, 200},
		{oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: basic}, 200},
		{oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"made-up-grant"}}, basic: basic}, 400},
		{oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}, "scope": {"made-up/scope"}}, basic: basic}, 400},
		{oauthReq{path: "/oauth/token", form: url.Values{"grant_type": {"client_credentials"}}, basic: [2]string{c.ClientID, c.Secret + "x"}}, 401},
		{oauthReq{path: "/oauth/introspect", form: url.Values{"token": {"ptc_at_x"}}}, 401},
	} {
		if r := f.do(t, srv, req.r); r.status != req.want {
			t.Fatalf("%s %v = %d %s, want %d", req.r.path, req.r.form, r.status, r.raw, req.want)
		} else if tok := r.str("access_token"); tok != "" {
			f.saw(tok)
		}
	}
	fams := metricstest.Gather(t, reg)
	for _, w := range []struct {
		labels []string
		want   float64
	}{
		{[]string{"endpoint", "token", "outcome", "ok"}, 2},
		{[]string{"endpoint", "token", "outcome", "unsupported_grant_type"}, 1},
		{[]string{"endpoint", "token", "outcome", "invalid_scope"}, 1},
		{[]string{"endpoint", "token", "outcome", "invalid_client"}, 1},
		{[]string{"endpoint", "introspect", "outcome", "invalid_client"}, 1},
		{[]string{"endpoint", "token"}, 5},
	} {
		if got, _ := fams.Value("portico_oauth_requests_total", w.labels...); got != w.want {
			t.Errorf("portico_oauth_requests_total%v = %v, want %v", w.labels, got, w.want)
		}
	}
	for _, m := range fams["portico_oauth_requests_total"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if v := lp.GetValue(); v == "made-up-grant" || v == "made-up/scope" || v == "other" {
				t.Errorf("label %s=%q", lp.GetName(), v)
			}
		}
	}
}
