package sandbox

import (
	"math/rand/v2"
	"net/http"
	"time"
)

// The Telemetry API. Events sit on a fixed time grid from epoch, so any
// explicit window answers the same data forever:
//
//   - every 4-minute slot, each spreader in service makes a lift cycle
//     or not (65 %), starting within the slot's first 50 s and ending
//     within it;
//   - every 3 hours, one alarm is raised on one spreader in service, at a
//     random second of the 3 hours; it clears after a duration that
//     depends on its severity, so it is active until then.
//
// An alarm raised during a lift cycle of its spreader names it, and the
// cycle lists the alarm.

const (
	cycleSlot  = 4 * time.Minute
	alarmEvery = 3 * time.Hour
	// maxActive is the longest an alarm stays active.
	maxActive = 8 * time.Hour
)

// Container is a container moved in a lift cycle.
type Container struct {
	Number  *string `json:"number"`
	IsoType string  `json:"iso_type"`
	GrossKg int     `json:"gross_kg"`
}

// LiftCycle is one container move.
type LiftCycle struct {
	ID              string      `json:"id"`
	SpreaderID      string      `json:"spreader_id"`
	CraneID         string      `json:"crane_id"`
	StartedAt       string      `json:"started_at"`
	EndedAt         string      `json:"ended_at"`
	DurationS       float64     `json:"duration_s"`
	Move            string      `json:"move"`
	Mode            string      `json:"mode"`
	Containers      []Container `json:"containers"`
	PeakLoadKg      float64     `json:"peak_load_kg"`
	TwistlockCycles int         `json:"twistlock_cycles"`
	Overload        bool        `json:"overload"`
	AlarmIDs        []string    `json:"alarm_ids"`

	started, ended time.Time
}

// cycle is spreader i's lift cycle in slot n, if it made one.
func (w *world) cycle(i int, n int64) (LiftCycle, bool) {
	s := &w.spreaders()[i]
	if n < 0 || s.Status != "in_service" {
		return LiftCycle{}, false
	}
	r := rng(tagCycle, u64(w.partnerID), u64(i), u64(n))
	if r.IntN(100) >= 65 {
		return LiftCycle{}, false
	}
	m := modelOf(s.Model)
	start := epoch.Add(time.Duration(n)*cycleSlot + time.Duration(r.IntN(50))*time.Second)
	tenths := between(r, 600, 1800)
	lc := LiftCycle{
		ID: liftCycleIDs.id(w.partnerID, u64(n)*10+u64(i)), SpreaderID: s.ID, CraneID: *s.CraneID,
		DurationS: float64(tenths) / 10, Mode: "single", TwistlockCycles: 1, AlarmIDs: []string{},
		started: start, ended: start.Add(time.Duration(tenths) * 100 * time.Millisecond).Truncate(time.Second),
	}
	lc.StartedAt, lc.EndedAt = stamp(lc.started), stamp(lc.ended)
	if (*s.CraneID)[:3] == "STS" {
		lc.Move = pick(r, []string{"discharge", "discharge", "load", "load", "restow"})
	} else {
		lc.Move = "yard"
	}
	switch {
	case m.twistlocks == 16 && r.IntN(3) == 0:
		lc.Mode = "tandem"
	case m.twistlocks >= 8 && r.IntN(2) == 0:
		lc.Mode = "twin"
	}
	switch lc.Mode {
	case "single":
		iso := pick(r, []string{"22G1", "42G1", "45G1", "45R1", "L5G1"})
		lc.Containers = []Container{container(r, iso, 2200, 30000)}
	case "twin":
		lc.Containers = []Container{container(r, "22G1", 2200, 24000), container(r, "22G1", 2200, 24000)}
	default:
		if r.IntN(2) == 0 {
			lc.Containers = []Container{container(r, "45G1", 3800, 30000), container(r, "45G1", 3800, 30000)}
		} else {
			lc.Containers = []Container{container(r, "22G1", 2200, 20000), container(r, "22G1", 2200, 20000), container(r, "22G1", 2200, 20000), container(r, "22G1", 2200, 20000)}
		}
	}
	total := 0
	for _, ct := range lc.Containers {
		total += ct.GrossKg
	}
	lc.PeakLoadKg = tenth(float64(total) * (1.02 + r.Float64()*0.08))
	lc.Overload = lc.PeakLoadKg > float64(s.SafeWorkingLoadKg)
	if r.IntN(10) == 0 {
		lc.TwistlockCycles = 2
	}
	for k := alarmIndex(lc.started); k <= alarmIndex(lc.ended); k++ {
		if a := w.alarm(k); a.spreader == i && !a.raised.Before(lc.started) && !a.raised.After(lc.ended) {
			lc.AlarmIDs = append(lc.AlarmIDs, a.ID)
		}
	}
	return lc, true
}

// cycleAt returns spreader i's lift cycle under way at t.
func (w *world) cycleAt(i int, t time.Time) (LiftCycle, bool) {
	lc, ok := w.cycle(i, floorDiv(t.Sub(epoch), cycleSlot))
	if !ok || t.Before(lc.started) || t.After(lc.ended) {
		return LiftCycle{}, false
	}
	return lc, true
}

// container makes a container with an ISO 6346 number (check digit
// included); one in twenty could not be read.
func container(r *rand.Rand, iso string, lo, hi int) Container {
	ct := Container{IsoType: iso, GrossKg: lo + r.IntN(hi-lo+1)}
	if r.IntN(20) == 0 {
		return ct
	}
	owners := []string{"PTC", "HRB", "MSK", "CMA", "OOL", "HLX", "TGH", "EVR"}
	b := []byte(owners[r.IntN(len(owners))] + "U")
	for range 6 {
		b = append(b, byte('0'+r.IntN(10))) // #nosec G115 -- a digit: IntN(10) is 0 to 9
	}
	b = append(b, byte('0'+iso6346Check(b))) // #nosec G115 -- a digit: the check is a non-negative sum % 11 % 10
	s := string(b)
	ct.Number = &s
	return ct
}

// iso6346Check is the check digit of a container's owner code, category
// and serial number.
func iso6346Check(s []byte) int {
	sum, weight := 0, 1
	for _, ch := range s {
		var v int
		if ch >= '0' && ch <= '9' {
			v = int(ch - '0')
		} else {
			v = 10 + int(ch-'A')
			v += (v - 1) / 10 // 11, 22 and 33 are skipped
		}
		sum += v * weight
		weight *= 2
	}
	return sum % 11 % 10
}

// LiftCyclePage is a page of lift cycles.
type LiftCyclePage struct {
	Items      []LiftCycle `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

func listLiftCycles(c *call) {
	s, ok := c.spreader()
	if !ok {
		return
	}
	from, to, ok := c.window(24 * time.Hour)
	if !ok {
		return
	}
	limit, ok := c.limit(50, 200)
	if !ok {
		return
	}
	end := to
	if c.now.Before(end) {
		end = c.now
	}
	cur := beforeCursor{Before: floorDiv(end.Sub(epoch), cycleSlot) + 1}
	if _, ok := c.cursor(&cur); !ok {
		return
	}
	page := LiftCyclePage{Items: []LiftCycle{}}
	last := int64(0)
	for n := min(floorDiv(end.Sub(epoch), cycleSlot), cur.Before-1); n >= 0 && n >= floorDiv(from.Sub(epoch), cycleSlot); n-- {
		lc, ok := c.world.cycle(s.index, n)
		if !ok || lc.started.Before(from) || !lc.started.Before(to) || lc.ended.After(c.now) {
			continue
		}
		if len(page.Items) == limit {
			page.NextCursor = encodeCursor(beforeCursor{Before: last})
			break
		}
		page.Items = append(page.Items, lc)
		last = n
	}
	c.send(http.StatusOK, page)
}
