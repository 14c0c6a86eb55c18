package sandbox

import (
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
)

// Scalars generated from schemas: numbers within their bounds and
// multiples, strings of their format, pattern and length.

// bounds are a number schema's inclusive bounds, for integers when step
// is 1 (exclusive bounds move by one step).
func bounds(s *openapi3.Schema, step, span float64) (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if s.Min != nil {
		lo = *s.Min
		if s.ExclusiveMin.IsTrue() {
			lo += step
		}
	}
	if s.Max != nil {
		hi = *s.Max
		if s.ExclusiveMax.IsTrue() {
			hi -= step
		}
	}
	if v := s.ExclusiveMin.Value; v != nil {
		lo = math.Max(lo, *v+step)
	}
	if v := s.ExclusiveMax.Value; v != nil {
		hi = math.Min(hi, *v-step)
	}
	switch {
	case math.IsInf(lo, -1) && math.IsInf(hi, 1):
		lo, hi = 1, span
	case math.IsInf(lo, -1):
		lo = hi - span
	case math.IsInf(hi, 1):
		hi = lo + span
	}
	return lo, hi
}

func (g *gen) integer(s *openapi3.Schema) int64 {
	lo, hi := bounds(s, 1, 1000)
	if s.Format == "int32" {
		lo, hi = math.Max(lo, math.MinInt32), math.Min(hi, math.MaxInt32)
	}
	lo, hi = math.Ceil(lo), math.Floor(hi)
	if m := s.MultipleOf; m != nil && *m > 0 {
		k := g.span(math.Ceil(lo / *m), math.Floor(hi / *m))
		return int64(k * *m)
	}
	return int64(g.span(lo, hi))
}

// span picks an integer in [lo, hi] (lo when the range is empty).
func (g *gen) span(lo, hi float64) float64 {
	if hi <= lo {
		return lo
	}
	width := hi - lo
	if width > 1<<53 {
		width = 1 << 53
	}
	return lo + float64(g.r.Int64N(int64(width)+1))
}

func (g *gen) number(s *openapi3.Schema) float64 {
	lo, hi := bounds(s, 0, 1000)
	if m := s.MultipleOf; m != nil && *m > 0 {
		return g.span(math.Ceil(lo / *m), math.Floor(hi / *m)) * *m
	}
	x := lo + g.r.Float64()*(hi-lo)
	if r := math.Round(x*100) / 100; r >= lo && r <= hi {
		x = r
	}
	if (s.ExclusiveMin.IsSet() && x <= lo) || (s.ExclusiveMax.IsSet() && x >= hi) {
		x = lo + (hi-lo)/2
	}
	return x
}

var words = []string{
	"harbor", "crane", "quay", "berth", "vessel", "gantry", "yard", "reefer", "manifest", "pilot",
	"tug", "anchor", "cargo", "ledger", "route", "signal", "beacon", "terminal", "spreader", "hoist",
}

var (
	firstNames = []string{"ada", "bram", "chen", "dana", "emeka", "freya", "goran", "hana", "ines", "jules"}
	lastNames  = []string{"visser", "okafor", "larsen", "tanaka", "moreau", "silva", "kowalski", "nguyen"}
)

// maxCount is the most items, properties or characters one of a schema's
// counts (minItems, minLength …) makes the generator produce. Documents
// written for real data stay well below it; an imported one may say 2^63,
// which int() turned negative (a panic), and which no answer could honour.
const maxCount = 4096

// count is a schema's minLength, maxItems or the like as an int, at most
// maxCount.
func count(n uint64) int { return int(min(n, maxCount)) }

func (g *gen) str(s *openapi3.Schema) string {
	minLen := count(s.MinLength)
	maxLen := math.MaxInt32
	if s.MaxLength != nil {
		maxLen = count(*s.MaxLength)
	}
	if s.Pattern != "" {
		if v, ok := g.pattern(s.Pattern, minLen, maxLen); ok {
			return v
		}
	}
	r := g.r
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int64N(2*365*24*3600)) * time.Second)
	var v string
	switch s.Format {
	case "date-time":
		v = base.Format(time.RFC3339)
	case "date":
		v = base.Format(time.DateOnly)
	case "time":
		v = base.Format("15:04:05Z")
	case "uuid":
		b := make([]byte, 16)
		for i := range b {
			b[i] = byte(r.IntN(256)) // #nosec G115 -- IntN(256) is 0 to 255
		}
		b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80
		v = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	case "email", "idn-email":
		v = pick(r, firstNames) + "." + pick(r, lastNames) + "@example.com"
	case "uri", "url", "iri":
		v = "https://example.com/" + pick(r, words) + "/" + strconv.Itoa(r.IntN(1000))
	case "uri-reference", "iri-reference":
		v = "/" + pick(r, words) + "/" + strconv.Itoa(r.IntN(1000))
	case "hostname", "idn-hostname":
		v = pick(r, words) + ".example.com"
	case "ipv4":
		v = "192.0.2." + strconv.Itoa(1+r.IntN(254))
	case "ipv6":
		v = "2001:db8::" + strconv.FormatInt(int64(1+r.IntN(0xfffe)), 16)
	case "byte":
		b := make([]byte, 3*(1+r.IntN(8)))
		for i := range b {
			b[i] = byte(r.IntN(256)) // #nosec G115 -- IntN(256) is 0 to 255
		}
		v = base64.StdEncoding.EncodeToString(b)
	case "duration":
		v = "PT" + strconv.Itoa(1+r.IntN(90)) + "M"
	default:
		return g.text(minLen, maxLen)
	}
	if n := utf8.RuneCountInString(v); n > maxLen || n < minLen {
		return g.text(minLen, maxLen)
	}
	return v
}

// text is words between minLen and maxLen characters long.
func (g *gen) text(minLen, maxLen int) string {
	target := max(minLen, min(maxLen, 6+g.r.IntN(18)))
	var b strings.Builder
	for b.Len() < target {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(pick(g.r, words))
	}
	out := b.String()
	if len(out) > maxLen {
		out = strings.TrimRight(out[:maxLen], " ")
		for len(out) < minLen {
			out += "x"
		}
	}
	return out
}

// Patterns are parsed once and generated from by walking their syntax
// tree; a generated string is checked against the compiled pattern.
type compiledPattern struct {
	tree *syntax.Regexp
	re   *regexp.Regexp
}

var patterns sync.Map // string -> *compiledPattern (nil when unusable)

func (g *gen) pattern(p string, minLen, maxLen int) (string, bool) {
	v, ok := patterns.Load(p)
	if !ok {
		var cp *compiledPattern
		tree, err1 := syntax.Parse(p, syntax.Perl)
		re, err2 := regexp.Compile(p)
		if err1 == nil && err2 == nil {
			cp = &compiledPattern{tree: tree.Simplify(), re: re}
		}
		v, _ = patterns.LoadOrStore(p, cp)
	}
	cp := v.(*compiledPattern)
	if cp == nil {
		return "", false
	}
	for range 10 {
		var b strings.Builder
		g.walk(&b, cp.tree)
		s := b.String()
		if n := utf8.RuneCountInString(s); n >= minLen && n <= maxLen && cp.re.MatchString(s) {
			return s, true
		}
	}
	return "", false
}

func (g *gen) walk(b *strings.Builder, re *syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
	case syntax.OpCharClass:
		b.WriteRune(g.classRune(re.Rune))
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(pick(g.r, words)[0])
	case syntax.OpCapture:
		g.walk(b, re.Sub[0])
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			g.walk(b, sub)
		}
	case syntax.OpAlternate:
		g.walk(b, re.Sub[g.r.IntN(len(re.Sub))])
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, 3
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 {
				hi = lo + 3
			}
		}
		for range between(g.r, lo, hi) {
			g.walk(b, re.Sub[0])
		}
	}
}

// classRune picks a rune of a character class, printable ASCII when the
// class has some.
func (g *gen) classRune(ranges []rune) rune {
	var printable []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := max(ranges[i], 0x21), min(ranges[i+1], 0x7e)
		if lo <= hi {
			printable = append(printable, lo, hi)
		}
	}
	if len(printable) > 0 {
		ranges = printable
	}
	if len(ranges) < 2 {
		return 'x'
	}
	i := 2 * g.r.IntN(len(ranges)/2)
	return ranges[i] + rune(g.r.IntN(int(ranges[i+1]-ranges[i])+1)) // #nosec G115 -- at most ranges[i+1]-ranges[i], itself a rune
}
