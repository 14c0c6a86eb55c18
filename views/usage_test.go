package views

import (
	"math"
	"strconv"
	"testing"
)

// luminance is the WCAG relative luminance of a #rrggbb colour.
func luminance(t *testing.T, hex string) float64 {
	t.Helper()
	var c [3]float64
	for i := range c {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil || len(hex) != 7 {
			t.Fatalf("colour %q is not #rrggbb", hex)
		}
		s := float64(v) / 255
		if s <= 0.03928 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}

// TestChartColours: every colour of the usage charts, marks and text,
// reads on the white page at 4.5:1 or more (WCAG AA for text; graphics
// need 3:1).
func TestChartColours(t *testing.T) {
	t.Parallel()
	for _, c := range []string{ColourSandbox, ColourLive, Colour4xx, Colour5xx, ColourP50, ColourP95, Colour401, Colour403, Colour429, colourInk, colourAxis} {
		if r := 1.05 / (luminance(t, c) + 0.05); r < 4.5 {
			t.Errorf("%s on white: contrast %.2f:1, want at least 4.5:1", c, r)
		}
	}
}

// TestChartGeometry: stacked bars stay inside the plot, the tallest
// reaches no higher than its top, and a bucket without calls draws nothing.
func TestChartGeometry(t *testing.T) {
	t.Parallel()
	c := UsageChart{Labels: []string{"a", "b", "c"}, Series: []UsageSeries{
		{Name: "x", Values: []float64{3, 0, 10}, Text: []string{"3", "0", "10"}},
		{Name: "y", Values: []float64{2, 0, 7}, Text: []string{"2", "0", "7"}},
	}}
	if c.Max() != 20 {
		t.Errorf("axis top = %v, want 20 (17 rounded up)", c.Max())
	}
	bars := c.Bars()
	if len(bars) != 4 {
		t.Fatalf("%d bars, want 4 (none for the empty bucket)", len(bars))
	}
	for _, b := range bars {
		y, _ := strconv.ParseFloat(b.Y, 64)
		h, _ := strconv.ParseFloat(b.H, 64)
		if y < plotTop || y+h > plotBottom+0.01 {
			t.Errorf("bar %+v leaves the plot [%d, %d]", b, plotTop, plotBottom)
		}
	}
}
