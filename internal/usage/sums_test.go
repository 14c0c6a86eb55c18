package usage

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
)

// TestSum: points add up per bucket, by the token's environment, error
// class and named refusal; a point outside the range's buckets counts
// nowhere.
func TestSum(t *testing.T) {
	t.Parallel()
	r, _ := ParseRange("7d", time.Date(2026, 3, 10, 14, 35, 0, 0, time.UTC))
	hist := func(i int, n int64) []int64 { h := make([]int64, 16); h[i] = n; return h }
	point := func(bucket int, env string, c store.UsageCounts) store.UsagePoint {
		return store.UsagePoint{Bucket: bucket, Environment: env, UsageCounts: c}
	}
	s := Sum([]store.UsagePoint{
		point(0, "sandbox", store.UsageCounts{Calls: 3, Latency: hist(0, 3)}),
		point(0, "live", store.UsageCounts{Calls: 2, ClientErrors: 2, RateLimited: 1, Unauthorized: 1, Latency: hist(6, 2)}),
		point(6, "live", store.UsageCounts{Calls: 1, ServerErrors: 1, Latency: hist(15, 1)}),
		point(6, "sandbox", store.UsageCounts{Calls: 4, ClientErrors: 1, Forbidden: 1, Latency: hist(1, 4)}),
		point(7, "sandbox", store.UsageCounts{Calls: 100, Latency: hist(0, 100)}),
		point(-1, "live", store.UsageCounts{Calls: 100, ServerErrors: 100, Latency: hist(0, 100)}),
	}, r)
	want := Sums{
		Sandbox: []int64{3, 0, 0, 0, 0, 0, 4}, Live: []int64{2, 0, 0, 0, 0, 0, 1},
		ClientErrors: []int64{2, 0, 0, 0, 0, 0, 1}, ServerErrors: []int64{0, 0, 0, 0, 0, 0, 1},
		Unauthorized: []int64{1, 0, 0, 0, 0, 0, 0}, Forbidden: []int64{0, 0, 0, 0, 0, 0, 1}, RateLimited: []int64{1, 0, 0, 0, 0, 0, 0},
		Hist: make([]Histogram, 7), Total: 10,
	}
	want.Hist[0][0], want.Hist[0][6], want.Hist[6][15], want.Hist[6][1] = 3, 2, 1, 4
	want.All[0], want.All[1], want.All[6], want.All[15] = 3, 4, 2, 1
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("Sum (-want +got):\n%s", diff)
	}
	if ms, over, ok := s.Hist[6].Millis(1); !ok || !over || ms != 10000 {
		t.Errorf("p100 of bucket 6 = %v ms, over %v, ok %v; want 10000, over", ms, over, ok)
	}
	if _, _, ok := s.Hist[3].Millis(0.5); ok {
		t.Error("a bucket without calls has a median")
	}
}

// TestViewFor: a platform admin sees every partner, an account manager
// every partner of their book, a partner admin their partner (with
// members and quotas), a developer their own tokens; nobody else
// anything.
func TestViewFor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		a    access.Actor
		want View
		ok   bool
	}{
		{"platform admin", access.Actor{UserID: 1, Role: access.RoleAdmin}, View{Everyone: true}, true},
		{"account manager", access.Actor{UserID: 2, Role: access.RoleAccountManager, Managed: []int64{7}},
			View{Scope: store.UsageScope{Book: 2}, Everyone: true}, true},
		{"partner admin", access.Actor{UserID: 3, Role: access.RolePartnerAdmin, PartnerID: 7},
			View{Scope: store.UsageScope{PartnerID: 7}, Partner: true}, true},
		{"developer", access.Actor{UserID: 4, Role: access.RoleDeveloper, PartnerID: 7},
			View{Scope: store.UsageScope{PartnerID: 7, UserID: 4}}, true},
		{"developer without a partner", access.Actor{UserID: 5, Role: access.RoleDeveloper}, View{}, false},
		{"partner admin without a partner", access.Actor{UserID: 6, Role: access.RolePartnerAdmin}, View{}, false},
		{"nobody", access.Actor{}, View{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, ok := ViewFor(tc.a)
			if ok != tc.ok || (ok && v != tc.want) {
				t.Errorf("ViewFor = %+v, %v; want %+v, %v", v, ok, tc.want, tc.ok)
			}
		})
	}
	if (View{}).Action() != access.ViewOwnUsage || (View{Partner: true}).Action() != access.ViewUsage || (View{Everyone: true}).Action() != access.ViewUsage {
		t.Error("a view's action is not the one its scope was granted by")
	}
}
