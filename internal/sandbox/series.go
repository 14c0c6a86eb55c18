package sandbox

import (
	"math"
	"net/http"
	"time"
)

// Time series of the Telemetry API: one point per step aligned on the
// step (UTC), for every complete step in the window; about one step in
// forty has no samples (the spreader was offline) and is left out, as are
// all steps of a decommissioned spreader.

type metric struct {
	unit, aggregation string
	base, amp, noise  float64
	lo, hi            float64
}

var metrics = map[string]metric{
	"load_kg":                {"kg", "mean", 15000, 9000, 3000, 0, 100000},
	"hydraulic_pressure_bar": {"bar", "mean", 176, 9, 4, 0, 400},
	"motor_temp_c":           {"degC", "mean", 55, 14, 3, -40, 200},
	"twistlock_cycles":       {"count", "sum", 0, 0, 0, 0, 0},
}

var steps = map[string]time.Duration{"1m": time.Minute, "5m": 5 * time.Minute, "1h": time.Hour}

// SeriesPoint is one step of a time series.
type SeriesPoint struct {
	At      string   `json:"at"`
	Value   float64  `json:"value"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
	Samples int      `json:"samples"`
}

// Series is one metric of one spreader over a window.
type Series struct {
	SpreaderID  string        `json:"spreader_id"`
	Metric      string        `json:"metric"`
	Unit        string        `json:"unit"`
	Aggregation string        `json:"aggregation"`
	Step        string        `json:"step"`
	From        string        `json:"from"`
	To          string        `json:"to"`
	Points      []SeriesPoint `json:"points"`
	NextFrom    *string       `json:"next_from"`
}

func getSeries(c *call) {
	s, ok := c.spreader()
	if !ok {
		return
	}
	name := c.param("metric")
	m, ok := metrics[name]
	if !ok {
		c.badRequest(`metric: "` + name + `" is not one of load_kg, hydraulic_pressure_bar, motor_temp_c, twistlock_cycles.`)
		return
	}
	stepName := c.query.Get("step")
	if stepName == "" {
		stepName = "5m"
	}
	step, ok := steps[stepName]
	if !ok {
		c.badRequest(`step: "` + stepName + `" is not one of 1m, 5m, 1h.`)
		return
	}
	if c.query.Get("from") == "" || c.query.Get("to") == "" {
		c.badRequest("from, to: both are required.")
		return
	}
	from, to, ok := c.window(0)
	if !ok {
		return
	}
	limit, ok := c.limit(500, 1440)
	if !ok {
		return
	}
	out := Series{
		SpreaderID: s.ID, Metric: name, Unit: m.unit, Aggregation: m.aggregation, Step: stepName,
		From: stamp(from), To: stamp(to), Points: []SeriesPoint{},
	}
	if s.Status != "decommissioned" {
		sec := int64(step / time.Second)
		first := (from.Unix() + sec - 1) / sec * sec
		if from.Unix() < 0 {
			first = from.Unix() / sec * sec
		}
		for at := time.Unix(first, 0).UTC(); at.Before(to) && !at.Add(step).After(c.now); at = at.Add(step) {
			p, ok := c.world.point(s.index, name, m, step, at)
			if !ok {
				continue
			}
			if len(out.Points) == limit {
				out.NextFrom = &p.At
				break
			}
			out.Points = append(out.Points, p)
		}
	}
	c.send(http.StatusOK, out)
}

// point is spreader i's point of the step starting at at.
func (w *world) point(i int, name string, m metric, step time.Duration, at time.Time) (SeriesPoint, bool) {
	sec := int(step / time.Second)
	r := rng(tagSeries, u64(w.partnerID), u64(i), hashString(name), u64(sec), u64(at.Unix()))
	if r.IntN(40) == 0 {
		return SeriesPoint{}, false
	}
	p := SeriesPoint{At: stamp(at), Samples: sec - r.IntN(max(1, sec/50))}
	if m.aggregation == "sum" {
		rate := 0.15 + 0.1*math.Sin(float64(at.Unix())/7200+float64(i))
		p.Value = math.Round(float64(p.Samples) / 60 * (rate + r.Float64()*0.1))
		return p, true
	}
	phase := float64(hash(tagSeries, u64(w.partnerID), u64(i))%628) / 100
	v := m.base + m.amp*math.Sin(2*math.Pi*float64(at.Unix())/86400+phase) + (r.Float64()*2-1)*m.noise
	spread := m.noise * (0.5 + r.Float64()) * math.Sqrt(float64(sec)/60)
	lo, hi := clamp(v-spread, m.lo, m.hi), clamp(v+spread, m.lo, m.hi)
	v = clamp(v, lo, hi)
	p.Value, p.Min, p.Max = tenth(v), ptr(tenth(lo)), ptr(tenth(hi))
	return p, true
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }
