package sandbox

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// idsOf collects the "id" of every item of a page.
func idsOf(t testing.TB, r result) []string {
	t.Helper()
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	r.decode(t, &page)
	out := make([]string, 0, len(page.Items))
	for _, it := range page.Items {
		out = append(out, it.ID)
	}
	return out
}

// walk follows next_cursor from path and returns every id, page by page.
func (e *env) walk(t *testing.T, a *api, partnerID int64, path string) (ids []string, pages int) {
	t.Helper()
	next := ""
	for pages = 1; pages < 100; pages++ {
		target := path
		if next != "" {
			target += "&cursor=" + next
		}
		res := e.call(t, a, partnerID, "GET", target, "")
		if res.status != http.StatusOK {
			t.Fatalf("GET %s = %d: %s", target, res.status, res.body)
		}
		ids = append(ids, idsOf(t, res)...)
		var page struct {
			NextCursor *string `json:"next_cursor"`
		}
		res.decode(t, &page)
		if page.NextCursor == nil {
			return ids, pages
		}
		next = *page.NextCursor
	}
	t.Fatalf("GET %s: more than 100 pages", path)
	return nil, 0
}

func TestPagination(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	partnerID := e.partner(t)
	w := newWorld(partnerID, fixedNow)
	working := w.spreaders()[w.inService()[0]].ID
	from, to := fixedNow.Add(-6*time.Hour).Format(time.RFC3339), fixedNow.Format(time.RFC3339)
	for _, tc := range []struct {
		name, api, path, all string
		limit                int
		newestFirst          bool
	}{
		{"spreaders", "fleet", "/spreaders?limit=%d", "/spreaders?limit=200", 3, false},
		{"alarms", "telemetry", "/alarms?limit=%d", "/alarms?limit=200", 7, true},
		{"lift cycles", "telemetry", "/spreaders/" + working + "/lift-cycles?from=" + from + "&to=" + to + "&limit=%d", "/spreaders/" + working + "/lift-cycles?from=" + from + "&to=" + to + "&limit=200", 10, true},
		{"work orders", "maintenance", "/work-orders?limit=%d", "/work-orders?limit=200", 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := sample(t, tc.api)
			all := idsOf(t, e.call(t, a, partnerID, "GET", tc.all, ""))
			if len(all) <= tc.limit {
				t.Fatalf("only %d items: no second page to test", len(all))
			}
			got, pages := e.walk(t, a, partnerID, fmt.Sprintf(tc.path, tc.limit))
			if diff := cmp.Diff(all, got); diff != "" {
				t.Errorf("pages put together differ from one big page (-one +pages):\n%s", diff)
			}
			if want := (len(all) + tc.limit - 1) / tc.limit; pages != want {
				t.Errorf("%d pages of %d for %d items, want %d", pages, tc.limit, len(all), want)
			}
			if !tc.newestFirst && !sort.StringsAreSorted(got) {
				t.Errorf("ids not in order: %v", got)
			}
		})
	}
}

func TestDeterministicPerPartner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	a, b := e.partner(t), e.partner(t)
	series := "/spreaders/%s/series/load_kg?from=2026-03-17T00:00:00Z&to=2026-03-18T00:00:00Z&step=5m"
	paths := func(p int64) map[string][2]string {
		w := newWorld(p, fixedNow)
		s := w.spreaders()[w.inService()[0]].ID
		return map[string][2]string{
			"spreaders":   {"fleet", "/spreaders"},
			"status":      {"fleet", "/spreaders/" + s + "/status"},
			"alarms":      {"telemetry", "/alarms?limit=200"},
			"lift cycles": {"telemetry", "/spreaders/" + s + "/lift-cycles?from=2026-03-17T00:00:00Z&to=2026-03-18T00:00:00Z&limit=200"},
			"series":      {"telemetry", fmt.Sprintf(series, s)},
			"work orders": {"maintenance", "/work-orders"},
		}
	}
	ids := map[int64]map[string]bool{a: {}, b: {}}
	for _, p := range []int64{a, b} {
		for name, c := range paths(p) {
			t.Run(fmt.Sprintf("%s/partner %d", name, p), func(t *testing.T) {
				first := e.call(t, sample(t, c[0]), p, "GET", c[1], "")
				again := e.call(t, sample(t, c[0]), p, "GET", c[1], "")
				if first.status != http.StatusOK || !bytes.Equal(first.body, again.body) {
					t.Errorf("GET %s twice = %d and %d, bodies equal %v", c[1], first.status, again.status, bytes.Equal(first.body, again.body))
				}
				if strings.Contains(c[1], "series") || strings.Contains(c[1], "status") {
					return
				}
				for _, id := range idsOf(t, first) {
					ids[p][id] = true
				}
			})
		}
	}
	if len(ids[a]) < 20 {
		t.Fatalf("partner A sees %d ids; want a sample large enough to compare", len(ids[a]))
	}
	for id := range ids[a] {
		if ids[b][id] {
			t.Errorf("both partners see %s", id)
		}
	}
	// A fresh sandbox (another node, a restart) answers the same.
	other := New(e.st)
	other.now = e.sb.now
	e2 := &env{st: e.st, sb: other, now: fixedNow}
	if x, y := e.call(t, sample(t, "fleet"), a, "GET", "/spreaders", ""), e2.call(t, sample(t, "fleet"), a, "GET", "/spreaders", ""); !bytes.Equal(x.body, y.body) {
		t.Error("another Sandbox answers other spreaders")
	}
}

func TestIDsMapBackToTheirPartner(t *testing.T) {
	t.Parallel()
	for _, space := range []idSpace{spreaderIDs, alarmIDs, workOrderIDs, liftCycleIDs} {
		t.Run(space.prefix, func(t *testing.T) {
			seen := map[string]bool{}
			for _, p := range []int64{1, 2, 3, 999, 1000, 123456} {
				for _, n := range []uint64{0, 1, space.perSlot / 2, space.perSlot - 1} {
					id := space.id(p, n)
					if len(id) != len(space.prefix)+space.digits {
						t.Errorf("id %q has the wrong length", id)
					}
					if got, ok := space.index(p, id); !ok || got != n {
						t.Errorf("index(%d, %s) = %d, %v; want %d", p, id, got, ok, n)
					}
					if _, ok := space.index(p+1, id); ok {
						t.Errorf("partner %d's %s is also partner %d's", p, id, p+1)
					}
					if seen[id] {
						t.Errorf("id %s made twice", id)
					}
					seen[id] = true
				}
			}
		})
	}
}
