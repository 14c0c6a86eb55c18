package sandbox

import (
	"net/http"
	"time"
)

type alarmType struct {
	code, severity, message, repair string
}

var alarmTypes = []alarmType{
	{"TWL-021", "critical", "Twistlock sensors disagree: corner 3 reports locked, corner 4 unlocked.", "Replace twistlock sensor, corner 4"},
	{"TWL-007", "warning", "Twistlock corner 2 took 1.8 s to lock, above the 1.2 s limit.", "Inspect twistlock actuator, corner 2"},
	{"HYD-104", "warning", "Hydraulic pressure 148 bar, below the 160 bar minimum.", "Check hydraulic pump and accumulator"},
	{"HYD-220", "critical", "Hydraulic oil leak detected at the telescope cylinder.", "Repair oil leak at the telescope cylinder"},
	{"MOT-310", "warning", "Telescope motor winding at 92 °C, above the 85 °C warning level.", "Inspect telescope motor cooling"},
	{"MOT-402", "critical", "Telescope motor overcurrent: the drive tripped.", "Replace telescope motor drive"},
	{"LDC-015", "info", "Load cell 2 drifted 0.8 % from its calibration.", "Recalibrate the load cells"},
	{"LDC-031", "warning", "Load cells disagree by 6 % on a landed container.", "Inspect load cell wiring"},
	{"TEL-118", "info", "Telescope reached the 45 ft end stop at reduced speed.", "Adjust the telescope end stops"},
	{"COM-001", "warning", "Lost 12 controller frames in 60 s on the crane link.", "Check spreader cable and slip ring"},
	{"COM-009", "info", "Controller restarted after a firmware watchdog.", "Review the controller's logs"},
	{"TWL-033", "critical", "Twistlock corner 1 failed to unlock after set-down.", "Overhaul twistlock, corner 1"},
}

// alarm is the k-th alarm of a partner, before its links.
type alarm struct {
	k        int64
	ID       string
	spreader int
	typ      *alarmType
	raised   time.Time
	cleared  time.Time
}

func alarmIndex(t time.Time) int64 { return floorDiv(t.Sub(epoch), alarmEvery) }

func floorDiv(d, unit time.Duration) int64 {
	q := int64(d / unit)
	if d%unit < 0 {
		q--
	}
	return q
}

func (w *world) alarm(k int64) alarm {
	r := rng(tagAlarm, u64(w.partnerID), u64(k))
	a := alarm{k: k, ID: alarmIDs.id(w.partnerID, u64(k)), spreader: pick(r, w.inService()), typ: &alarmTypes[r.IntN(len(alarmTypes))]}
	a.raised = epoch.Add(time.Duration(k)*alarmEvery + time.Duration(r.IntN(int(alarmEvery/time.Second)))*time.Second)
	var d time.Duration
	switch a.typ.severity {
	case "info":
		d = time.Duration(between(r, 10, 600)) * time.Second
	case "warning":
		d = time.Duration(between(r, 30, 90*60)) * time.Second
	default:
		d = time.Duration(between(r, 5*60, int(maxActive/time.Second))) * time.Second
	}
	a.cleared = a.raised.Add(d)
	return a
}

// alarmByID resolves one of the partner's alarm ids to the latest alarm
// raised by now that carries it.
func (w *world) alarmByID(id string) (alarm, bool) {
	j, ok := alarmIDs.index(w.partnerID, id)
	if !ok {
		return alarm{}, false
	}
	kNow := alarmIndex(w.now)
	per := int64(alarmIDs.perSlot)            // #nosec G115 -- perSlot is 1000 (alarmIDs in ids.go)
	k := kNow - ((kNow-int64(j))%per+per)%per // #nosec G115 -- index returns a j below perSlot, 1000
	if k >= 0 && k == kNow && w.alarm(k).raised.After(w.now) {
		k -= per
	}
	if k < 0 {
		return alarm{}, false
	}
	return w.alarm(k), true
}

// activeCritical returns the critical alarm holding a spreader now.
func (w *world) activeCritical(i int) (alarm, bool) {
	for k := alarmIndex(w.now); k >= 0 && k >= alarmIndex(w.now.Add(-maxActive)); k-- {
		a := w.alarm(k)
		if a.spreader == i && a.typ.severity == "critical" && !a.raised.After(w.now) && a.cleared.After(w.now) {
			return a, true
		}
	}
	return alarm{}, false
}

// Alarm is an alarm as the Telemetry API answers it.
type Alarm struct {
	ID          string  `json:"id"`
	SpreaderID  string  `json:"spreader_id"`
	Code        string  `json:"code"`
	Severity    string  `json:"severity"`
	Message     string  `json:"message"`
	Status      string  `json:"status"`
	RaisedAt    string  `json:"raised_at"`
	ClearedAt   *string `json:"cleared_at"`
	LiftCycleID *string `json:"lift_cycle_id"`
	WorkOrderID *string `json:"work_order_id"`
}

// view is the alarm as of now, with the lift cycle it was raised in.
func (w *world) view(a alarm) Alarm {
	out := Alarm{
		ID: a.ID, SpreaderID: w.spreaders()[a.spreader].ID, Code: a.typ.code, Severity: a.typ.severity,
		Message: a.typ.message, Status: "active", RaisedAt: stamp(a.raised),
	}
	if !a.cleared.After(w.now) {
		out.Status, out.ClearedAt = "cleared", stampPtr(a.cleared)
	}
	if lc, ok := w.cycleAt(a.spreader, a.raised); ok {
		out.LiftCycleID = &lc.ID
	}
	return out
}

// linkWorkOrders fills in the work orders opened for the alarms: the
// generated ones and those the partner stored.
func (c *call) linkWorkOrders(as []Alarm) bool {
	if len(as) == 0 {
		return true
	}
	byAlarm := map[string]string{}
	for _, wo := range c.world.generatedWorkOrders() {
		if wo.AlarmID != nil {
			byAlarm[*wo.AlarmID] = wo.ID
		}
	}
	ids := make([]string, len(as))
	for i, a := range as {
		ids[i] = a.ID
	}
	stored, err := c.s.st.SandboxAlarmWorkOrders(c.ctx(), c.req.PartnerID, ids)
	if err != nil {
		c.fail(http.StatusInternalServerError, "internal_error", "The sandbox could not read its work orders; try again.")
		return false
	}
	for a, wo := range stored {
		byAlarm[a] = wo
	}
	for i := range as {
		if wo, ok := byAlarm[as[i].ID]; ok {
			as[i].WorkOrderID = &wo
		}
	}
	return true
}

// AlarmPage is a page of alarms.
type AlarmPage struct {
	Items      []Alarm `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

type beforeCursor struct {
	Before int64 `json:"before"`
}

func listAlarms(c *call) {
	from, to, ok := c.window(7 * 24 * time.Hour)
	if !ok {
		return
	}
	limit, ok := c.limit(50, 200)
	if !ok {
		return
	}
	cur := beforeCursor{Before: alarmIndex(to) + 1}
	if _, ok := c.cursor(&cur); !ok {
		return
	}
	severity, spreaderID := c.query.Get("severity"), c.query.Get("spreader")
	page := AlarmPage{Items: []Alarm{}}
	top := min(alarmIndex(to), alarmIndex(c.now), cur.Before-1)
	last := int64(0)
	for k := top; k >= 0 && k >= alarmIndex(from); k-- {
		a := c.world.alarm(k)
		if a.raised.Before(from) || !a.raised.Before(to) || a.raised.After(c.now) {
			continue
		}
		if severity != "" && a.typ.severity != severity {
			continue
		}
		if spreaderID != "" && c.world.spreaders()[a.spreader].ID != spreaderID {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(beforeCursor{Before: last})
			break
		}
		page.Items = append(page.Items, c.world.view(a))
		last = k
	}
	if c.linkWorkOrders(page.Items) {
		c.send(http.StatusOK, page)
	}
}

func getAlarm(c *call) {
	id := c.param("alarmId")
	a, ok := c.world.alarmByID(id)
	if !ok {
		c.notFound("Alarm " + id + " was not found.")
		return
	}
	out := []Alarm{c.world.view(a)}
	if c.linkWorkOrders(out) {
		c.send(http.StatusOK, out[0])
	}
}
