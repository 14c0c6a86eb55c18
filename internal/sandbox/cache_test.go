package sandbox

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// same compares two answers as a client sees them.
func same(t *testing.T, what string, want, got result) {
	t.Helper()
	if diff := cmp.Diff(want.status, got.status); diff != "" {
		t.Errorf("%s: status (-want +got):\n%s", what, diff)
	}
	if diff := cmp.Diff(want.header, got.header); diff != "" {
		t.Errorf("%s: headers (-want +got):\n%s", what, diff)
	}
	if !bytes.Equal(want.body, got.body) {
		t.Errorf("%s: body\n%s\nwant\n%s", what, got.body, want.body)
	}
}

// A remembered answer is the answer: status, headers and body as a
// sandbox that never saw the call generates them, for each partner its
// own.
func TestRememberedAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	fresh := &env{st: e.st, sb: New(e.st), now: e.now} // another node: nothing remembered
	fresh.sb.now = e.sb.now
	widgets, err := parseAPI("widgets", []byte(widgets31))
	if err != nil {
		t.Fatal(err)
	}
	a, b := e.partner(t), e.partner(t)
	someOf := func(p int64) string { return newWorld(p, fixedNow).spreaders()[3].ID }
	for _, c := range []struct {
		api  *api
		path func(p int64) string
	}{
		{sample(t, "fleet"), func(int64) string { return "/spreaders" }},
		{sample(t, "fleet"), func(int64) string { return "/spreaders?limit=3" }},
		{sample(t, "fleet"), func(int64) string { return "/spreaders?status=in_service&limit=2" }},
		{sample(t, "fleet"), func(p int64) string { return "/spreaders/" + someOf(p) }},
		{widgets, func(int64) string { return "/widgets?kind=big" }},
		{widgets, func(int64) string { return "/widgets/9b2f9f0e-8a7d-4c55-9b8f-2f4d6a1c3e70" }},
		{widgets, func(int64) string { return "/ping" }},
	} {
		// A first, then B asking the same: B is answered B's data.
		for _, p := range []int64{a, b} {
			path := c.path(p)
			want := fresh.call(t, c.api, p, "GET", path, "")
			if want.status != http.StatusOK {
				t.Fatalf("%s = %d", path, want.status)
			}
			for i := range 2 { // generated, then remembered
				same(t, c.api.slug+path+" call "+strconv.Itoa(i), want, e.call(t, c.api, p, "GET", path, ""))
			}
		}
	}
	if n, _ := e.sb.answers.len(); n == 0 {
		t.Error("nothing was remembered")
	}
	x := e.call(t, sample(t, "fleet"), a, "GET", "/spreaders", "")
	if y := e.call(t, sample(t, "fleet"), b, "GET", "/spreaders", ""); bytes.Equal(x.body, y.body) {
		t.Error("two partners were answered the same spreaders")
	}
}

// Writes and resets are seen at once by every node, each of which has
// answered the same calls before: answers that read what a partner wrote
// are never remembered.
func TestWritesAndResetsAcrossNodes(t *testing.T) {
	t.Parallel()
	one := newEnv(t, fixedNow)
	two := &env{st: one.st, sb: New(one.st), now: one.now}
	two.sb.now = one.sb.now
	p := one.partner(t)
	generated := one.workOrderIDs(t, p)
	_ = two.workOrderIDs(t, p)
	alarms := sample(t, "telemetry")
	w := newWorld(p, fixedNow)
	k := alarmIndex(fixedNow) - 1
	alarm := w.alarm(k)
	for _, e := range []*env{one, two} {
		e.call(t, alarms, p, "GET", "/alarms/"+alarm.ID, "")
	}

	opened := one.create(t, p, w.spreaders()[alarm.spreader].ID, "Replace the twistlock sensor")
	linked := one.call(t, sample(t, "maintenance"), p, "POST", "/work-orders",
		`{"spreader_id":"`+w.spreaders()[alarm.spreader].ID+`","title":"Alarm follow-up","type":"corrective","alarm_id":"`+alarm.ID+`"}`)
	if linked.status != http.StatusCreated {
		t.Fatalf("create linked = %d %s", linked.status, linked.body)
	}
	if ids := two.workOrderIDs(t, p); !contains(ids, opened.ID) {
		t.Errorf("node two's list after node one's write lacks %s: %v", opened.ID, ids)
	}
	if got, _ := two.getWorkOrder(t, p, opened.ID); got != http.StatusOK {
		t.Errorf("node two's work order after node one's write = %d, want 200", got)
	}
	var lwo WorkOrder
	linked.decode(t, &lwo)
	if got := two.call(t, alarms, p, "GET", "/alarms/"+alarm.ID, "").body; !strings.Contains(string(got), `"work_order_id":"`+lwo.ID+`"`) {
		t.Errorf("node two's alarm after node one linked a work order: %s", got)
	}

	if err := two.sb.Reset(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(generated, one.workOrderIDs(t, p)); diff != "" {
		t.Errorf("node one's list after node two's reset (-generated +got):\n%s", diff)
	}
	if got, _ := one.getWorkOrder(t, p, opened.ID); got != http.StatusNotFound {
		t.Errorf("node one's work order after node two's reset = %d, want 404", got)
	}
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// A new revision of a document is answered at once: its operations are
// new, and so are the answers remembered for them.
func TestRememberedAnswersFollowTheDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	p := e.partner(t)
	v1, err := parseAPI("widgets", []byte(widgets31))
	if err != nil {
		t.Fatal(err)
	}
	v2, err := parseAPI("widgets", []byte(strings.Replace(widgets31, "example: pong", "example: pong v2", 1)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		api  *api
		want string
	}{{v1, "pong"}, {v1, "pong"}, {v2, "pong v2"}, {v2, "pong v2"}} {
		if got := string(e.call(t, c.api, p, "GET", "/ping", "").body); got != c.want {
			t.Errorf("GET /ping = %q, want %q", got, c.want)
		}
	}
}

// Many partners at once, each answered its own (run with -race).
func TestRememberedAnswersConcurrently(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	fleet := sample(t, "fleet")
	partners := []int64{e.partner(t), e.partner(t), e.partner(t), e.partner(t)}
	want := map[int64][]byte{}
	for _, p := range partners {
		want[p] = e.call(t, fleet, p, "GET", "/spreaders?limit=4", "").body
	}
	e.sb.answers = newAnswers()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 20 {
				p := partners[(i+j)%len(partners)]
				if got := e.call(t, fleet, p, "GET", "/spreaders?limit=4", "").body; !bytes.Equal(got, want[p]) {
					t.Errorf("partner %d answered another body", p)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// The cache holds at most cacheEntries answers and cacheBytes, and no
// answer over cacheAnswer.
func TestAnswersBounded(t *testing.T) {
	t.Parallel()
	a := newAnswers()
	body := make([]byte, 8<<10)
	for i := range cacheEntries + 500 {
		k := answerKey{partnerID: int64(i), api: "fleet", method: "GET", path: "/sandbox/fleet/spreaders"}
		a.put(&k, &answer{status: 200, body: body})
		if n, size := a.len(); n > cacheEntries || size > cacheBytes {
			t.Fatalf("after %d answers: %d held, %d bytes; bounds %d and %d", i+1, n, size, cacheEntries, cacheBytes)
		}
	}
	if n, size := a.len(); n < cacheBytes/(len(body)+64) {
		t.Errorf("%d answers of %d bytes held (%d bytes), want the cache full", n, len(body), size)
	}
	k := answerKey{partnerID: -1, path: "/big"}
	a.put(&k, &answer{status: 200, body: make([]byte, cacheAnswer+1)})
	if a.get(&k) != nil {
		t.Error("an answer over cacheAnswer was kept")
	}
	small := answerKey{partnerID: -2, path: "/small"}
	a.put(&small, &answer{status: 200, body: []byte("x")})
	a.put(&small, &answer{status: 200, body: []byte("y")})
	if got := a.get(&small); got == nil || string(got.body) != "y" {
		t.Errorf("a replaced answer = %v", got)
	}
}
