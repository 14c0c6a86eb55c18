package sandbox

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"
)

// The Fleet API: each partner has ten spreaders, seven in service on a
// crane and one each on standby, in the workshop and decommissioned. The
// records themselves are a snapshot as of fleetAsOf; their live status
// follows the telemetry (lift cycles and alarms) minute by minute.

// Spreader is a spreader as the Fleet API answers it.
type Spreader struct {
	ID                string  `json:"id"`
	Name              string  `json:"name"`
	SerialNumber      string  `json:"serial_number"`
	Model             string  `json:"model"`
	Site              string  `json:"site"`
	CraneID           *string `json:"crane_id"`
	Status            string  `json:"status"`
	SafeWorkingLoadKg int     `json:"safe_working_load_kg"`
	Twistlocks        int     `json:"twistlocks"`
	FirmwareVersion   string  `json:"firmware_version"`
	CommissionedOn    string  `json:"commissioned_on"`
	TotalLiftCycles   int64   `json:"total_lift_cycles"`
	LastServiceAt     *string `json:"last_service_at"`
	UpdatedAt         string  `json:"updated_at"`
}

// spreader is a Spreader and what the other APIs derive from it.
type spreader struct {
	Spreader
	index int
}

type model struct {
	name, code, kind string
	swl, twistlocks  int
	telescopes       []string
	cranes           []string
}

var models = []model{
	{"FX-40", "FX40", "fixed-frame", 40000, 4, []string{"40ft"}, []string{"STR", "RTG"}},
	{"TS-45", "TS45", "single-lift", 41000, 4, []string{"20ft", "40ft", "45ft"}, []string{"RTG", "RMG"}},
	{"TT-50", "TT50", "twin-lift", 50000, 8, []string{"twin_20ft", "20ft", "40ft", "45ft"}, []string{"STS"}},
	{"TD-80", "TD80", "tandem", 80000, 16, []string{"40ft", "twin_20ft"}, []string{"STS"}},
}

func modelOf(name string) *model {
	for i := range models {
		if models[i].name == name {
			return &models[i]
		}
	}
	return &models[0]
}

// sites are container terminals, as UN/LOCODE and terminal code.
var sites = []string{"NLRTM-T2", "DEHAM-T1", "SGSIN-T4", "BEANR-K9", "CNSHA-Y3", "USLAX-T5", "AEJEA-T3", "ESVLC-MSC"}

var fleetAsOf = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// buildFleet generates a partner's ten spreaders.
func buildFleet(partnerID int64) []spreader {
	r := rng(tagFleet, u64(partnerID))
	status := []string{"in_service", "in_service", "in_service", "in_service", "in_service", "in_service", "in_service", "standby", "maintenance", "decommissioned"}
	r.Shuffle(len(status), func(i, j int) { status[i], status[j] = status[j], status[i] })
	home := r.IntN(len(sites))
	partnerSites := []string{sites[home], sites[(home+1+r.IntN(len(sites)-1))%len(sites)]}
	craneBase := r.IntN(40)
	out := make([]spreader, 10)
	for i := range out {
		out[i] = makeSpreader(partnerID, i, status[i], partnerSites, craneBase)
	}
	return out
}

func makeSpreader(partnerID int64, i int, status string, partnerSites []string, craneBase int) spreader {
	r := rng(tagSpreader, u64(partnerID), u64(i))
	m := &models[r.IntN(len(models))]
	year := between(r, 2012, 2024)
	commissioned := time.Date(year, time.Month(between(r, 1, 12)), between(r, 1, 28), 0, 0, 0, 0, time.UTC)
	s := Spreader{
		ID:                spreaderIDs.id(partnerID, u64(i)),
		SerialNumber:      m.code + "-" + strconv.Itoa(year) + "-" + pad4(r.IntN(10000)),
		Model:             m.name,
		Site:              pick(r, partnerSites),
		Status:            status,
		SafeWorkingLoadKg: m.swl,
		Twistlocks:        m.twistlocks,
		FirmwareVersion:   strconv.Itoa(between(r, 3, 5)) + "." + strconv.Itoa(r.IntN(16)) + "." + strconv.Itoa(r.IntN(10)),
		CommissionedOn:    day(commissioned),
	}
	days := int64(fleetAsOf.Sub(commissioned) / (24 * time.Hour))
	s.TotalLiftCycles = days * int64(between(r, 180, 420))
	updated := fleetAsOf.Add(-time.Duration(r.IntN(60*24*3600)) * time.Second)
	s.UpdatedAt = stamp(updated)
	if r.IntN(8) != 0 {
		s.LastServiceAt = stampPtr(updated.Add(-time.Duration(r.IntN(120*24*3600)) * time.Second))
	}
	if status == "in_service" {
		crane := pick(r, m.cranes) + "-" + pad2(1+(craneBase+i*7)%99)
		s.CraneID = &crane
		s.Name = crane + " " + m.kind
	} else {
		s.Name = "Spare " + m.kind + " " + string(rune('A'+i)) // #nosec G115 -- i < 10, the size of a fleet
		if status == "decommissioned" {
			s.TotalLiftCycles /= 2
		}
	}
	if status == "decommissioned" {
		s.Name = "Retired " + m.kind + " " + string(rune('A'+i)) // #nosec G115 -- i < 10, the size of a fleet
	}
	return spreader{Spreader: s, index: i}
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func pad4(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

type afterCursor struct {
	After string `json:"after"`
}

func listSpreaders(c *call) {
	limit, ok := c.limit(50, 200)
	if !ok {
		return
	}
	var cur afterCursor
	if _, ok := c.cursor(&cur); !ok {
		return
	}
	status, mdl, site := c.query.Get("status"), c.query.Get("model"), c.query.Get("site")
	c.world.spreaders()
	fleet := c.world.fleet
	var picked [16]int
	all := picked[:0]
	for i := range fleet.spreaders {
		s := &fleet.spreaders[i].Spreader
		if (status == "" || s.Status == status) && (mdl == "" || s.Model == mdl) && (site == "" || s.Site == site) && s.ID > cur.After {
			all = append(all, i)
		}
	}
	sort.Slice(all, func(i, j int) bool { return fleet.spreaders[all[i]].ID < fleet.spreaders[all[j]].ID })
	// The page is put together from each spreader's cached JSON.
	n := min(limit, len(all))
	b := make([]byte, 0, 64+n*400)
	b = append(b, `{"items":[`...)
	for i, x := range all[:n] {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, fleet.encoded[x]...)
	}
	b = append(b, `],"next_cursor":`...)
	if len(all) > limit {
		next, _ := json.Marshal(encodeCursor(afterCursor{After: fleet.spreaders[all[n-1]].ID}))
		b = append(b, next...)
	} else {
		b = append(b, "null"...)
	}
	c.sendRaw(http.StatusOK, "application/json", append(b, '}'))
}

// spreader returns the spreader of the spreaderId path parameter, having
// answered 404 when the partner has none with that id.
func (c *call) spreader() (*spreader, bool) {
	id := c.param("spreaderId")
	s, ok := c.world.spreaderByID(id)
	if !ok {
		c.notFound("Spreader " + id + " was not found.")
	}
	return s, ok
}

func getSpreader(c *call) {
	if s, ok := c.spreader(); ok {
		c.send(http.StatusOK, s.Spreader)
	}
}

// SpreaderStatus is what a spreader is doing right now.
type SpreaderStatus struct {
	SpreaderID     string   `json:"spreader_id"`
	State          string   `json:"state"`
	TwistlockState string   `json:"twistlock_state"`
	Landed         bool     `json:"landed"`
	LoadKg         *float64 `json:"load_kg"`
	Telescope      string   `json:"telescope"`
	Position       Position `json:"position"`
	ActiveAlarmID  *string  `json:"active_alarm_id"`
	UpdatedAt      string   `json:"updated_at"`
}

// Position is a spreader's position on its crane, in metres.
type Position struct {
	TrolleyM float64 `json:"trolley_m"`
	HoistM   float64 `json:"hoist_m"`
	GantryM  float64 `json:"gantry_m"`
}

func getSpreaderStatus(c *call) {
	s, ok := c.spreader()
	if !ok {
		return
	}
	c.send(http.StatusOK, c.world.status(s))
}

// status is the spreader's live status: it changes once a minute. A
// spreader with an active critical alarm is in fault; one in the middle
// of a lift cycle is lifting; spreaders off cranes are offline or idle.
func (w *world) status(s *spreader) SpreaderStatus {
	minute := w.now.Truncate(time.Minute)
	r := rng(tagStatus, u64(w.partnerID), u64(s.index), u64(minute.Unix()))
	m := modelOf(s.Model)
	st := SpreaderStatus{
		SpreaderID: s.ID,
		State:      "idle",
		Telescope:  pick(r, m.telescopes),
		Position:   Position{TrolleyM: tenth(-50 + r.Float64()*170), HoistM: tenth(r.Float64() * 60), GantryM: tenth(r.Float64() * 3000)},
		UpdatedAt:  stamp(minute.Add(time.Duration(r.IntN(60)) * time.Second)),
	}
	if st.UpdatedAt > stamp(w.now) {
		st.UpdatedAt = stamp(w.now)
	}
	zero := 0.0
	switch {
	case s.Status == "decommissioned" || s.Status == "maintenance":
		st.State, st.TwistlockState = "offline", "unlocked"
		updated, _ := time.Parse(time.RFC3339, s.UpdatedAt)
		st.UpdatedAt = stamp(updated)
		st.Position = Position{TrolleyM: 0, HoistM: 2.5, GantryM: 0}
		return st
	case s.Status == "standby":
		st.TwistlockState, st.Landed, st.LoadKg = "unlocked", true, &zero
		st.Position.HoistM = 1.2
		return st
	}
	if a, ok := w.activeCritical(s.index); ok {
		st.State, st.TwistlockState, st.Landed, st.LoadKg = "fault", "unknown", true, &zero
		st.ActiveAlarmID = &a.ID
		return st
	}
	if r.IntN(40) == 0 {
		st.State, st.TwistlockState = "offline", "unlocked"
		st.UpdatedAt = stamp(minute.Add(-time.Duration(60+r.IntN(600)) * time.Second))
		return st
	}
	if lc, ok := w.cycleAt(s.index, w.now); ok {
		load := 0.0
		for _, ct := range lc.Containers {
			load += float64(ct.GrossKg)
		}
		load = tenth(load * (1 + r.Float64()*0.04))
		st.State, st.TwistlockState, st.Landed, st.LoadKg = "lifting", "locked", false, &load
		if r.IntN(4) == 0 {
			st.State, st.Landed = "locked", true
		}
		return st
	}
	st.TwistlockState, st.Landed, st.LoadKg = "unlocked", false, &zero
	if r.IntN(3) == 0 {
		st.TwistlockState = "moving"
	}
	return st
}

// tenth rounds to one decimal.
func tenth(x float64) float64 {
	if x < 0 {
		return -float64(int64(-x*10+0.5)) / 10
	}
	return float64(int64(x*10+0.5)) / 10
}
