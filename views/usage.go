package views

import (
	"strconv"
)

// UsagePage is the model of the usage dashboards: charts of a time range
// and tables of who called what, in the scope the policy gives the viewer.
type UsagePage struct {
	Page
	// Heading and Intro say whose usage this is.
	Heading, Intro string
	// PartnerName and PartnerHref lead staff back to the partner's page
	// ("" elsewhere).
	PartnerName, PartnerHref string
	// Action is the page's own path (the range form submits to it);
	// ExportBase the CSV download's, each chart adding its name.
	Action, ExportBase string
	Ranges             []AuditOption
	RangeLabel         string
	// From and To are the chosen days' inputs (YYYY-MM-DD), Today their
	// latest; API and Token the filters in force ("" and 0: none), and
	// Filters say them, each with a link that drops it.
	From, To, Today string
	API             string
	Token           int64
	Filters         []UsageFilter
	// Total is the range's calls; Empty says there were none.
	Total  string
	Empty  bool
	Charts []UsageChart
	// The tables; a nil one is not shown (not the viewer's to see).
	APIs, Operations, Tokens, Members, Partners *UsageTable
	// Quotas are the partner's monthly quotas, when it is one partner's
	// usage; ShowQuotas says so (it may still have none).
	ShowQuotas bool
	Quotas     []UsageQuota
	QuotaCSV   string
	// Bounded is how many rows each table shows at most.
	Bounded int
	// ShowTrends says the page lists the partners whose error rate is
	// rising (staff), Trends them; Anonymous is the chart of calls
	// without a credential (platform admins), nil when not shown.
	ShowTrends bool
	Trends     []UsageTrend
	// NearQuota are the partners at 80 % of a monthly quota or more
	// (staff, shown with the trends).
	NearQuota []UsageQuotaAlert
	Anonymous *UsageChart
}

// UsageQuotaAlert is a partner's monthly quota, nearly used.
type UsageQuotaAlert struct {
	Partner, Href string
	UsageQuota
}

// UsageTrend is a partner whose calls fail more than the week before.
type UsageTrend struct {
	Partner, Href string
	// Now and Before say the error rate and calls ("20.0 % of 200").
	Now, Before string
}

// UsageTable is a ranked table of calls (per API, token, member or
// partner).
type UsageTable struct {
	ID, Title, Summary, CSVHref string
	// NameHeader and DetailHeader title the first two columns; an empty
	// DetailHeader leaves the column out.
	NameHeader, DetailHeader string
	Rows                     []UsageTableRow
}

// UsageTableRow is one ranked row, its numbers said as text.
type UsageTableRow struct {
	Name, Detail, Calls, Share, ClientErrors, ServerErrors, P95 string
	// Refused counts the 401, 403 and 429 answers.
	Refused string
	// Href, when set, shows the dashboard for this row alone.
	Href string
}

// UsageFilter is a filter in force on a dashboard, said in words, with
// the link that drops it.
type UsageFilter struct {
	Text, ClearHref string
}

// UsageQuota is one access group's monthly quota and its use.
type UsageQuota struct {
	Group, Quota, Used, Percent, Projected string
	// Over says the projection passes the quota.
	Over bool
}

// The charts' colours: each has a contrast of at least 4.5:1 on white
// (TestChartColours), and the two series of a chart are far apart in hue;
// every series is also named in the legend and the table.
const (
	ColourSandbox = "#0b5cad"
	ColourLive    = "#9a3412"
	Colour4xx     = "#5b21b6"
	Colour5xx     = "#b42318"
	ColourP50     = "#0b5cad"
	ColourP95     = "#9a3412"
	Colour401     = "#5b21b6"
	Colour403     = "#0f766e"
	Colour429     = "#9a3412"
	// colourInk draws the axes' text; colourAxis the baseline.
	colourInk  = "#3d4652"
	colourAxis = "#5b6675"
)

// UsageChart is one chart: a title, a summary in words, the drawing (bars
// stacked per bucket, or lines), and the same numbers as a table.
type UsageChart struct {
	ID, Title, Summary, CSVHref string
	// Lines draws each series as a line instead of stacked bars.
	Lines bool
	// Labels name the buckets; Series hold one value per bucket.
	Labels []string
	Series []UsageSeries
	// Unit follows the top axis value ("calls", "ms").
	Unit string
}

// UsageSeries is one series of a chart.
type UsageSeries struct {
	Name string
	// Colour is the series' fill or stroke: each has a contrast of at
	// least 4.5:1 on white, so the marks are as readable as text.
	Colour string
	Values []float64
	// Text says each value for the table ("" shows a dash).
	Text []string
}

// The drawing's geometry, in viewBox units.
const (
	chartW, chartH              = 600, 220
	plotLeft, plotRight         = 28, 592
	plotTop, plotBottom         = 28, 190
	chartLabelY                 = 212
	chartTopLabelY              = 18  // the axis top's label, above the plot
	chartSeriesGap      float64 = 0.2 // share of a bucket left between bars
)

// ChartViewBox is the SVG's viewBox.
func (c UsageChart) ViewBox() string { return "0 0 " + itoa(chartW) + " " + itoa(chartH) }

// Max is the top of the value axis: the largest stacked bar or line point,
// rounded up to a readable number (at least 1).
func (c UsageChart) Max() float64 {
	var m float64
	for i := range c.Labels {
		var sum float64
		for _, s := range c.Series {
			if i < len(s.Values) {
				if c.Lines {
					m = max(m, s.Values[i])
				} else {
					sum += s.Values[i]
				}
			}
		}
		m = max(m, sum)
	}
	return niceCeil(m)
}

// MaxLabel says the axis top.
func (c UsageChart) MaxLabel() string { return formatAxis(c.Max()) + " " + c.Unit }

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func formatAxis(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func itoa(i int) string { return strconv.Itoa(i) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }

// ChartRect is one drawn bar.
type ChartRect struct{ X, Y, W, H, Fill, Title string }

// Bars are the stacked bars, bottom series first.
func (c UsageChart) Bars() []ChartRect {
	n := len(c.Labels)
	if n == 0 || c.Lines {
		return nil
	}
	top := c.Max()
	slot := float64(plotRight-plotLeft) / float64(n)
	w := slot * (1 - chartSeriesGap)
	var out []ChartRect
	for i := range n {
		y := float64(plotBottom)
		for _, s := range c.Series {
			if i >= len(s.Values) || s.Values[i] <= 0 {
				continue
			}
			h := s.Values[i] / top * float64(plotBottom-plotTop)
			y -= h
			out = append(out, ChartRect{X: ftoa(plotLeft + float64(i)*slot + (slot-w)/2), Y: ftoa(y), W: ftoa(w), H: ftoa(h),
				Fill: s.Colour, Title: c.Labels[i] + ": " + s.Text[i] + " " + s.Name})
		}
	}
	return out
}

// ChartLine is one series drawn as a polyline.
type ChartLine struct{ Points, Stroke string }

// Polylines are the line series; a bucket without a value breaks no line
// (it is left out, the line joining its neighbours).
func (c UsageChart) Polylines() []ChartLine {
	n := len(c.Labels)
	if n == 0 || !c.Lines {
		return nil
	}
	top := c.Max()
	slot := float64(plotRight-plotLeft) / float64(n)
	var out []ChartLine
	for _, s := range c.Series {
		var pts []byte
		for i := range n {
			if i >= len(s.Values) || s.Text[i] == "" {
				continue
			}
			x := plotLeft + float64(i)*slot + slot/2
			y := plotBottom - s.Values[i]/top*float64(plotBottom-plotTop)
			pts = append(pts, ftoa(x)+","+ftoa(y)+" "...)
		}
		out = append(out, ChartLine{Points: string(pts), Stroke: s.Colour})
	}
	return out
}

// ChartTick is an axis label.
type ChartTick struct{ X, Text string }

// Ticks label the first, middle and last buckets.
func (c UsageChart) Ticks() []ChartTick {
	n := len(c.Labels)
	if n == 0 {
		return nil
	}
	slot := float64(plotRight-plotLeft) / float64(n)
	var out []ChartTick
	for _, i := range []int{0, n / 2, n - 1} {
		if len(out) > 0 && out[len(out)-1].Text == c.Labels[i] {
			continue
		}
		out = append(out, ChartTick{X: ftoa(plotLeft + float64(i)*slot + slot/2), Text: c.Labels[i]})
	}
	return out
}

// CellText is series s's value at bucket i as the table says it.
func (c UsageChart) CellText(s UsageSeries, i int) string {
	if i >= len(s.Text) || s.Text[i] == "" {
		return "–"
	}
	return s.Text[i]
}

// The fixed positions the template needs as text.
var (
	chartPlotLeft      = itoa(plotLeft)
	chartPlotRight     = itoa(plotRight)
	chartPlotTop       = itoa(plotTop)
	chartPlotBottom    = itoa(plotBottom)
	chartLabelYText    = itoa(chartLabelY)
	chartAxisX         = itoa(plotLeft - 6)
	chartTopLabelYText = itoa(chartTopLabelY)
)
