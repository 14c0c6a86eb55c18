package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSetHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		policy string
		d      Decision
		want   http.Header
	}{
		{"allowed", "partner", Decision{Allowed: true, Limit: 100, Remaining: 42, Reset: 34*time.Second + time.Millisecond},
			http.Header{
				"Ratelimit-Policy": {`"partner";q=100;w=60`},
				"Ratelimit":        {`"partner";r=42;t=35`},
			}},
		{"first call of a fresh bucket", "fleet-readers", Decision{Allowed: true, Limit: 60, Remaining: 59, Reset: time.Second},
			http.Header{
				"Ratelimit-Policy": {`"fleet-readers";q=60;w=60`},
				"Ratelimit":        {`"fleet-readers";r=59;t=1`},
			}},
		{"refused", "partner", Decision{Limit: 10, Reset: time.Minute, RetryAfter: 5500 * time.Millisecond},
			http.Header{
				"Ratelimit-Policy": {`"partner";q=10;w=60`},
				"Ratelimit":        {`"partner";r=0;t=60`},
				"Retry-After":      {"6"},
			}},
		{"refused with under a second to wait says 1", "partner", Decision{Limit: 6000, Reset: time.Minute, RetryAfter: 10 * time.Millisecond},
			http.Header{
				"Ratelimit-Policy": {`"partner";q=6000;w=60`},
				"Ratelimit":        {`"partner";r=0;t=60`},
				"Retry-After":      {"1"},
			}},
		{"degraded and allowed: policy only", "partner", Decision{Allowed: true, Limit: 10, Degraded: true},
			http.Header{
				"Ratelimit-Policy": {`"partner";q=10;w=60`},
			}},
		{"degraded and refused (fail closed)", "partner", Decision{Limit: 10, RetryAfter: time.Second, Degraded: true},
			http.Header{
				"Ratelimit-Policy": {`"partner";q=10;w=60`},
				"Retry-After":      {"1"},
			}},
		{"unlimited: nothing", "partner", Decision{Allowed: true}, http.Header{}},
		{"name escaped as a structured-field string", `a"b\c ü`, Decision{Allowed: true, Limit: 1, Reset: time.Minute},
			http.Header{
				"Ratelimit-Policy": {`"a\"b\\c __";q=1;w=60`},
				"Ratelimit":        {`"a\"b\\c __";r=0;t=60`},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.Header{}
			SetHeaders(h, tc.policy, tc.d)
			if diff := cmp.Diff(tc.want, h); diff != "" {
				t.Errorf("headers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetHeadersReplaces(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	SetHeaders(h, "partner", Decision{Limit: 10, RetryAfter: 3 * time.Second, Reset: time.Minute})
	SetHeaders(h, "token", Decision{Limit: 5, RetryAfter: 12 * time.Second, Reset: time.Minute})
	if got := h.Values("RateLimit"); len(got) != 1 || got[0] != `"token";r=0;t=60` {
		t.Errorf("RateLimit = %q", got)
	}
	if got := h.Get("Retry-After"); got != "12" {
		t.Errorf("Retry-After = %q", got)
	}
}

func BenchmarkSetHeaders(b *testing.B) {
	h := http.Header{}
	d := Decision{Allowed: true, Limit: 600, Remaining: 420, Reset: 18 * time.Second}
	b.ReportAllocs()
	for b.Loop() {
		SetHeaders(h, "partner", d)
	}
}
