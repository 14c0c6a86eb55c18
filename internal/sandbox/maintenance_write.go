package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

// body decodes the JSON request body into v, refusing unknown fields;
// it reports false having answered 400.
func (c *call) body(v any) bool {
	if c.r.Body == nil {
		c.badRequest("The request needs a JSON body.")
		return false
	}
	dec := json.NewDecoder(io.LimitReader(c.r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.badRequest("The body is not the JSON object this operation takes: " + err.Error())
		return false
	}
	// The work order is stored as jsonb, which refuses "\u0000".
	if field, problem := textcheck.Decoded(v); problem != "" {
		c.badRequest(field + ": " + problem)
		return false
	}
	return true
}

type newWorkOrder struct {
	SpreaderID  string  `json:"spreader_id"`
	Title       string  `json:"title"`
	Description *string `json:"description"`
	Type        string  `json:"type"`
	Priority    string  `json:"priority"`
	AlarmID     *string `json:"alarm_id"`
	Assignee    *string `json:"assignee"`
	DueOn       *string `json:"due_on"`
}

func oneOf(v string, xs ...string) bool {
	for _, x := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func createWorkOrder(c *call) {
	var in newWorkOrder
	if !c.body(&in) {
		return
	}
	if in.Priority == "" {
		in.Priority = "normal"
	}
	switch {
	case in.SpreaderID == "":
		c.badRequest("spreader_id: is required.")
		return
	case len([]rune(in.Title)) < 5 || len([]rune(in.Title)) > 120:
		c.badRequest("title: must be 5 to 120 characters.")
		return
	case !oneOf(in.Type, "corrective", "preventive", "inspection"):
		c.badRequest("type: must be one of corrective, preventive, inspection.")
		return
	case !oneOf(in.Priority, "low", "normal", "high", "urgent"):
		c.badRequest("priority: must be one of low, normal, high, urgent.")
		return
	}
	sp, ok := c.world.spreaderByID(in.SpreaderID)
	if !ok {
		c.invalidInput("spreader_id: " + in.SpreaderID + " is not in your fleet.")
		return
	}
	if in.AlarmID != nil {
		a, ok := c.world.alarmByID(*in.AlarmID)
		if !ok {
			c.invalidInput("alarm_id: " + *in.AlarmID + " is not one of your alarms.")
			return
		}
		if a.spreader != sp.index {
			c.invalidInput("alarm_id: " + a.ID + " was raised by " + c.world.spreaders()[a.spreader].ID + ", not " + sp.ID + ".")
			return
		}
	}
	if in.DueOn != nil {
		due, err := time.Parse(time.DateOnly, *in.DueOn)
		if err != nil {
			c.badRequest("due_on: must be a date, such as 2025-03-18.")
			return
		}
		if due.Before(c.now.Truncate(24 * time.Hour)) {
			c.invalidInput("due_on: " + *in.DueOn + " is in the past.")
			return
		}
	}
	now := c.now.Truncate(time.Second)
	wo := WorkOrder{
		SpreaderID: sp.ID, Title: in.Title, Description: in.Description, Type: in.Type, Priority: in.Priority,
		Status: "open", AlarmID: in.AlarmID, Assignee: in.Assignee, DueOn: in.DueOn,
		CreatedAt: stamp(now), UpdatedAt: stamp(now), StatusHistory: []StatusEvent{{Status: "open", At: stamp(now)}},
	}
	full := false
	err := c.s.st.InTx(c.ctx(), func(tx *store.Store) error {
		n, err := tx.NextSandboxCounter(c.ctx(), c.req.PartnerID, "work_orders")
		if err != nil {
			return err
		}
		j := u64(generatedCount + n - 1)
		if j >= workOrderIDs.perSlot {
			full = true
			return errFull
		}
		wo.ID = workOrderIDs.id(c.req.PartnerID, j)
		return c.store(tx, wo, true)
	})
	switch {
	case full:
		c.invalidInput("The sandbox holds at most 994 work orders you opened: reset the sandbox data from the portal's Access page to start again.")
	case err != nil:
		c.internal()
	default:
		c.w.Header().Set("Location", path.Join(c.r.URL.Path, wo.ID))
		c.send(http.StatusCreated, wo)
	}
}

var (
	errFull      = errors.New("sandbox full")
	errUnchanged = errors.New("unchanged")
)

// store writes a work order: inserted (unless it exists, when insert is
// true) or updated.
func (c *call) store(tx *store.Store, wo WorkOrder, insert bool) error {
	b, err := json.Marshal(wo)
	if err != nil {
		return err
	}
	if insert {
		created, err := time.Parse(time.RFC3339, wo.CreatedAt)
		if err != nil {
			return err
		}
		_, err = tx.InsertSandboxWorkOrder(c.ctx(), c.req.PartnerID, wo.ID, b, wo.AlarmID, created)
		return err
	}
	return tx.UpdateSandboxWorkOrder(c.ctx(), c.req.PartnerID, wo.ID, b)
}

// transitions lists the statuses each status may move to.
var transitions = map[string][]string{
	"open":        {"in_progress", "cancelled"},
	"in_progress": {"done", "cancelled"},
}

type statusChange struct {
	Status string  `json:"status"`
	Note   *string `json:"note"`
}

func updateWorkOrderStatus(c *call) {
	id := c.param("workOrderId")
	var in statusChange
	if !c.body(&in) {
		return
	}
	if !oneOf(in.Status, "in_progress", "done", "cancelled") {
		c.badRequest("status: must be one of in_progress, done, cancelled.")
		return
	}
	var (
		wo       WorkOrder
		found    bool
		conflict string
	)
	err := c.s.st.InTx(c.ctx(), func(tx *store.Store) error {
		// A generated work order is stored first, so that its row can be
		// locked like any other: concurrent changes then take turns. When
		// nothing changes, the transaction rolls back and leaves it
		// generated.
		if j, ok := workOrderIDs.index(c.req.PartnerID, id); ok && j < generatedCount {
			gen := c.world.generatedWorkOrder(int(j))
			if err := c.store(tx, gen, true); err != nil {
				return err
			}
		}
		var err error
		if wo, found, err = c.workOrder(tx, id, true); err != nil || !found {
			return err
		}
		if wo.Status == in.Status {
			return errUnchanged
		}
		if !oneOf(in.Status, transitions[wo.Status]...) {
			conflict = "Work order " + id + " is " + wo.Status + "; it cannot move to " + in.Status + "."
			return errUnchanged
		}
		now := stamp(c.now)
		wo.Status, wo.UpdatedAt = in.Status, now
		wo.StatusHistory = append(wo.StatusHistory, StatusEvent{Status: in.Status, Note: in.Note, At: now})
		if in.Status == "done" {
			wo.CompletedAt = &now
		}
		return c.store(tx, wo, false)
	})
	if errors.Is(err, errUnchanged) {
		err = nil
	}
	switch {
	case err != nil:
		c.internal()
	case !found:
		c.notFound("Work order " + id + " was not found.")
	case conflict != "":
		c.fail(http.StatusConflict, "invalid_transition", conflict)
	default:
		c.send(http.StatusOK, wo)
	}
}
