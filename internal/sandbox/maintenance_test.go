package sandbox

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func (e *env) workOrderIDs(t *testing.T, partnerID int64) []string {
	t.Helper()
	return idsOf(t, e.call(t, sample(t, "maintenance"), partnerID, "GET", "/work-orders?limit=200", ""))
}

func (e *env) getWorkOrder(t *testing.T, partnerID int64, id string) (int, WorkOrder) {
	t.Helper()
	res := e.call(t, sample(t, "maintenance"), partnerID, "GET", "/work-orders/"+id, "")
	var wo WorkOrder
	if res.status == http.StatusOK {
		res.decode(t, &wo)
	}
	return res.status, wo
}

func (e *env) create(t *testing.T, partnerID int64, spreaderID, title string) WorkOrder {
	t.Helper()
	res := e.call(t, sample(t, "maintenance"), partnerID, "POST", "/work-orders", `{"spreader_id":"`+spreaderID+`","title":"`+title+`","type":"preventive"}`)
	if res.status != http.StatusCreated {
		t.Fatalf("create = %d: %s", res.status, res.body)
	}
	var wo WorkOrder
	res.decode(t, &wo)
	if want := "/sandbox/maintenance/work-orders/" + wo.ID; res.header.Get("Location") != want {
		t.Errorf("Location = %q, want %q", res.header.Get("Location"), want)
	}
	return wo
}

func (e *env) setStatus(t *testing.T, partnerID int64, id, status string) int {
	t.Helper()
	return e.call(t, sample(t, "maintenance"), partnerID, "PATCH", "/work-orders/"+id+"/status", `{"status":"`+status+`"}`).status
}

func TestWorkOrdersArePerPartner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	a, b := e.partner(t), e.partner(t)
	spreaderA := newWorld(a, fixedNow).spreaders()[0].ID
	spreaderB := newWorld(b, fixedNow).spreaders()[0].ID
	generatedA, generatedB := e.workOrderIDs(t, a), e.workOrderIDs(t, b)
	if len(generatedA) != generatedCount || len(generatedB) != generatedCount {
		t.Fatalf("generated work orders: %d and %d, want %d each", len(generatedA), len(generatedB), generatedCount)
	}

	mine := e.create(t, a, spreaderA, "Grease the twistlocks")
	theirs := e.create(t, b, spreaderB, "Check the flippers")
	if mine.ID == theirs.ID {
		t.Fatalf("both partners' first work orders are %s", mine.ID)
	}
	want := WorkOrder{
		ID: mine.ID, SpreaderID: spreaderA, Title: "Grease the twistlocks", Type: "preventive", Priority: "normal", Status: "open",
		CreatedAt: stamp(fixedNow), UpdatedAt: stamp(fixedNow), StatusHistory: []StatusEvent{{Status: "open", At: stamp(fixedNow)}},
	}
	if diff := cmp.Diff(want, mine); diff != "" {
		t.Errorf("created work order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(append([]string{mine.ID}, generatedA...), e.workOrderIDs(t, a)); diff != "" {
		t.Errorf("A's list, newest first (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name    string
		partner int64
		id      string
		want    int
	}{
		{"A gets its own", a, mine.ID, http.StatusOK},
		{"B gets A's", b, mine.ID, http.StatusNotFound},
		{"A gets B's", a, theirs.ID, http.StatusNotFound},
		{"B gets A's generated", b, generatedA[0], http.StatusNotFound},
		{"B changes A's", b, mine.ID, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got int
			if tc.name == "B changes A's" {
				got = e.setStatus(t, tc.partner, tc.id, "in_progress")
			} else {
				got, _ = e.getWorkOrder(t, tc.partner, tc.id)
			}
			if got != tc.want {
				t.Errorf("status = %d, want %d", got, tc.want)
			}
		})
	}
	if slices.Contains(e.workOrderIDs(t, b), mine.ID) {
		t.Error("B's list shows A's work order")
	}

	// Status changes persist, through the table of transitions.
	later := fixedNow.Add(time.Hour)
	e.sb.now = func() time.Time { return later }
	for _, step := range []struct {
		status string
		want   int
	}{{"done", 409}, {"in_progress", 200}, {"in_progress", 200}, {"done", 200}, {"cancelled", 409}} {
		if got := e.setStatus(t, a, mine.ID, step.status); got != step.want {
			t.Errorf("move to %s = %d, want %d", step.status, got, step.want)
		}
	}
	_, got := e.getWorkOrder(t, a, mine.ID)
	var history []string
	for _, ev := range got.StatusHistory {
		history = append(history, ev.Status+"@"+ev.At)
	}
	if diff := cmp.Diff([]string{"open@" + stamp(fixedNow), "in_progress@" + stamp(later), "done@" + stamp(later)}, history); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if got.Status != "done" || got.CompletedAt == nil || *got.CompletedAt != stamp(later) || got.UpdatedAt != stamp(later) {
		t.Errorf("done work order: status %s, completed %v, updated %s", got.Status, got.CompletedAt, got.UpdatedAt)
	}
}

func TestResetEmptiesOnlyThatPartner(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	a, b := e.partner(t), e.partner(t)
	generatedA := e.workOrderIDs(t, a)
	opened := e.create(t, a, newWorld(a, fixedNow).spreaders()[1].ID, "Replace the flippers")
	if got := e.setStatus(t, a, generatedA[0], "cancelled"); got != http.StatusOK {
		t.Fatalf("cancel a generated work order = %d", got)
	}
	if _, wo := e.getWorkOrder(t, a, generatedA[0]); wo.Status != "cancelled" {
		t.Fatalf("generated work order after cancel: %s", wo.Status)
	}
	kept := e.create(t, b, newWorld(b, fixedNow).spreaders()[1].ID, "Replace the flippers")

	if err := e.sb.Reset(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(generatedA, e.workOrderIDs(t, a)); diff != "" {
		t.Errorf("A's work orders after reset (-generated +got):\n%s", diff)
	}
	if got, _ := e.getWorkOrder(t, a, opened.ID); got != http.StatusNotFound {
		t.Errorf("A's opened work order after reset = %d, want 404", got)
	}
	_, wo := e.getWorkOrder(t, a, generatedA[0])
	if diff := cmp.Diff(newWorld(a, fixedNow).generatedWorkOrder(0), wo); diff != "" {
		t.Errorf("generated work order after reset (-generated +got):\n%s", diff)
	}
	if got, _ := e.getWorkOrder(t, b, kept.ID); got != http.StatusOK {
		t.Errorf("B's work order after A's reset = %d, want 200", got)
	}
	// Ids start over after a reset.
	if again := e.create(t, a, newWorld(a, fixedNow).spreaders()[1].ID, "Replace the flippers"); again.ID != opened.ID {
		t.Errorf("first work order after reset is %s, want %s again", again.ID, opened.ID)
	}
}

func TestConcurrentStatusChangesTakeTurns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	a := e.partner(t)
	id := newWorld(a, fixedNow).generatedWorkOrder(0).ID // open
	moves := []string{"in_progress", "cancelled", "in_progress", "cancelled", "in_progress", "cancelled"}
	codes := make([]int, len(moves))
	var wg sync.WaitGroup
	for i, m := range moves {
		wg.Go(func() { codes[i] = e.setStatus(t, a, id, m) })
	}
	wg.Wait()
	_, wo := e.getWorkOrder(t, a, id)
	// Whatever the order, the history is a legal path from open, and each
	// answer agrees with it.
	var path []string
	for _, ev := range wo.StatusHistory {
		path = append(path, ev.Status)
	}
	legal := [][]string{{"open", "cancelled"}, {"open", "in_progress", "cancelled"}}
	if !slices.ContainsFunc(legal, func(l []string) bool { return slices.Equal(l, path) }) {
		t.Fatalf("history %v is not a legal path", path)
	}
	for i, code := range codes {
		if code != http.StatusOK && code != http.StatusConflict {
			t.Errorf("move %d to %s = %d", i, moves[i], code)
		}
	}
}

func TestCreateWorkOrderAlarmLinks(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fixedNow)
	a := e.partner(t)
	w := newWorld(a, fixedNow)
	al := w.alarm(alarmIndex(fixedNow) - 2)
	res := e.call(t, sample(t, "maintenance"), a, "POST", "/work-orders",
		`{"spreader_id":"`+w.spreaders()[al.spreader].ID+`","title":"Fix what the alarm says","type":"corrective","alarm_id":"`+al.ID+`"}`)
	var wo WorkOrder
	res.decode(t, &wo)
	var got Alarm
	e.call(t, sample(t, "telemetry"), a, "GET", "/alarms/"+al.ID, "").decode(t, &got)
	if got.WorkOrderID == nil || *got.WorkOrderID != wo.ID {
		t.Errorf("alarm %s names work order %v, want %s", al.ID, got.WorkOrderID, wo.ID)
	}
	// Generated corrective work orders name their alarm, and the alarm
	// names them back.
	gen := w.generatedWorkOrder(1)
	e.call(t, sample(t, "telemetry"), a, "GET", "/alarms/"+*gen.AlarmID, "").decode(t, &got)
	if got.WorkOrderID == nil || *got.WorkOrderID != gen.ID || got.SpreaderID != gen.SpreaderID {
		t.Errorf("alarm %+v does not name generated work order %s on %s", got, gen.ID, gen.SpreaderID)
	}
}
