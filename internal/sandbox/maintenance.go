package sandbox

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/portico/portico/internal/store"
)

// The Maintenance API: six generated work orders per partner, dated in
// the two weeks before the current week (so they stay recent), plus what
// the partner writes. A written work order is stored whole; a generated
// one whose status changes is stored too and from then on replaces the
// generated one, until Reset.

// WorkOrder is a work order as the Maintenance API answers it.
type WorkOrder struct {
	ID            string        `json:"id"`
	SpreaderID    string        `json:"spreader_id"`
	Title         string        `json:"title"`
	Description   *string       `json:"description"`
	Type          string        `json:"type"`
	Priority      string        `json:"priority"`
	Status        string        `json:"status"`
	AlarmID       *string       `json:"alarm_id"`
	Assignee      *string       `json:"assignee"`
	DueOn         *string       `json:"due_on"`
	CreatedAt     string        `json:"created_at"`
	UpdatedAt     string        `json:"updated_at"`
	CompletedAt   *string       `json:"completed_at"`
	StatusHistory []StatusEvent `json:"status_history"`
}

// StatusEvent is a status a work order took.
type StatusEvent struct {
	Status string  `json:"status"`
	Note   *string `json:"note"`
	At     string  `json:"at"`
}

// generatedCount is the number of generated work orders per partner;
// opened ones take the following indexes of the partner's id slot.
const generatedCount = 6

type woTemplate struct {
	ago            time.Duration
	typ, priority  string
	then           []string
	title          string
	assigned, note bool
}

var woTemplates = [generatedCount]woTemplate{
	{26 * time.Hour, "corrective", "urgent", nil, "", false, false},
	{56 * time.Hour, "corrective", "high", []string{"in_progress"}, "", true, true},
	{97 * time.Hour, "corrective", "normal", []string{"in_progress", "done"}, "", true, true},
	{149 * time.Hour, "preventive", "normal", nil, "500-hour service: hydraulics and twistlocks", false, false},
	{218 * time.Hour, "inspection", "low", []string{"cancelled"}, "Annual structural inspection of the headblock", false, true},
	{295 * time.Hour, "preventive", "normal", []string{"in_progress"}, "Replace twistlock pins after 250,000 cycles", true, false},
}

var notes = map[string]string{
	"in_progress": "Technician on the crane.",
	"done":        "Repaired and tested; 20 test lifts without alarm.",
	"cancelled":   "Covered by the next planned service.",
}

// weekStart is Monday 00:00 UTC of t's week.
func weekStart(t time.Time) time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// generatedWorkOrders are the partner's generated work orders, as of
// this week.
func (w *world) generatedWorkOrders() []WorkOrder {
	out := make([]WorkOrder, generatedCount)
	for j := range out {
		out[j] = w.generatedWorkOrder(j)
	}
	return out
}

func (w *world) generatedWorkOrder(j int) WorkOrder {
	t := woTemplates[j]
	r := rng(tagWorkOrder, u64(w.partnerID), u64(j))
	created := weekStart(w.now).Add(-t.ago + time.Duration(r.IntN(3600))*time.Second)
	fleet := w.spreaders()
	wo := WorkOrder{ID: workOrderIDs.id(w.partnerID, u64(j)), Title: t.title, Type: t.typ, Priority: t.priority, Status: "open", CreatedAt: stamp(created)}
	if t.typ == "corrective" {
		k := alarmIndex(created)
		for k > 0 && w.alarm(k).raised.After(created) {
			k--
		}
		a := w.alarm(k)
		wo.SpreaderID, wo.AlarmID, wo.Title = fleet[a.spreader].ID, &a.ID, a.typ.repair
		wo.Description = ptr(a.typ.message + " Spreader on " + *fleet[a.spreader].CraneID + ".")
	} else {
		wo.SpreaderID = fleet[pick(r, w.inService())].ID
	}
	if t.assigned {
		wo.Assignee = ptr("Workshop " + fleet[0].Site[6:] + ", shift " + string(rune('A'+r.IntN(3)))) // #nosec G115 -- IntN(3) is 0 to 2
	}
	if r.IntN(4) != 0 {
		wo.DueOn = ptr(day(created.AddDate(0, 0, between(r, 1, 14))))
	}
	at := created
	wo.StatusHistory = []StatusEvent{{Status: "open", At: stamp(at)}}
	for _, st := range t.then {
		at = at.Add(time.Duration(between(r, 20*60, 6*3600)) * time.Second)
		ev := StatusEvent{Status: st, At: stamp(at)}
		if t.note {
			ev.Note = ptr(notes[st])
		}
		wo.StatusHistory = append(wo.StatusHistory, ev)
		wo.Status = st
		if st == "done" {
			wo.CompletedAt = &ev.At
		}
	}
	wo.UpdatedAt = stamp(at)
	return wo
}

// workOrder returns one of the partner's work orders: stored, or
// generated.
func (c *call) workOrder(tx *store.Store, id string, lock bool) (WorkOrder, bool, error) {
	j, ok := workOrderIDs.index(c.req.PartnerID, id)
	if !ok {
		return WorkOrder{}, false, nil
	}
	row, err := tx.SandboxWorkOrder(c.ctx(), c.req.PartnerID, id, lock)
	switch {
	case err == nil:
		var wo WorkOrder
		if err := json.Unmarshal(row.Body, &wo); err != nil {
			return WorkOrder{}, false, err
		}
		return wo, true, nil
	case !errors.Is(err, store.ErrNotFound):
		return WorkOrder{}, false, err
	case j < generatedCount:
		return c.world.generatedWorkOrder(int(j)), true, nil
	}
	return WorkOrder{}, false, nil
}

// WorkOrderPage is a page of work orders.
type WorkOrderPage struct {
	Items      []WorkOrder `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

type workOrderCursor struct {
	At string `json:"at"`
	ID string `json:"id"`
}

func listWorkOrders(c *call) {
	limit, ok := c.limit(50, 200)
	if !ok {
		return
	}
	var cur workOrderCursor
	paged, ok := c.cursor(&cur)
	if !ok {
		return
	}
	rows, err := c.s.st.SandboxWorkOrders(c.ctx(), c.req.PartnerID)
	if err != nil {
		c.internal()
		return
	}
	all := make([]WorkOrder, 0, len(rows)+generatedCount)
	stored := make(map[string]bool, len(rows))
	for _, row := range rows {
		var wo WorkOrder
		if err := json.Unmarshal(row.Body, &wo); err != nil {
			c.internal()
			return
		}
		stored[wo.ID] = true
		all = append(all, wo)
	}
	for _, wo := range c.world.generatedWorkOrders() {
		if !stored[wo.ID] {
			all = append(all, wo)
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].CreatedAt != all[j].CreatedAt {
			return all[i].CreatedAt > all[j].CreatedAt
		}
		return all[i].ID > all[j].ID
	})
	status, priority, spreaderID := c.query.Get("status"), c.query.Get("priority"), c.query.Get("spreader")
	page := WorkOrderPage{Items: []WorkOrder{}}
	for _, wo := range all {
		if paged && (wo.CreatedAt > cur.At || wo.CreatedAt == cur.At && wo.ID >= cur.ID) {
			continue
		}
		if (status != "" && wo.Status != status) || (priority != "" && wo.Priority != priority) || (spreaderID != "" && wo.SpreaderID != spreaderID) {
			continue
		}
		if len(page.Items) == limit {
			last := page.Items[limit-1]
			page.NextCursor = encodeCursor(workOrderCursor{At: last.CreatedAt, ID: last.ID})
			break
		}
		page.Items = append(page.Items, wo)
	}
	c.send(http.StatusOK, page)
}

func (c *call) internal() {
	c.fail(http.StatusInternalServerError, "internal_error", "The sandbox could not read or store its work orders; try again.")
}

func getWorkOrder(c *call) {
	id := c.param("workOrderId")
	wo, ok, err := c.workOrder(c.s.st, id, false)
	switch {
	case err != nil:
		c.internal()
	case !ok:
		c.notFound("Work order " + id + " was not found.")
	default:
		c.send(http.StatusOK, wo)
	}
}
