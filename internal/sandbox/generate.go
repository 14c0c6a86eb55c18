package sandbox

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The sandbox of an API without a hand-written backend answers the
// operation's lowest declared 2xx response: one of its examples when the
// media type has some, otherwise a value generated from its schema. The
// random stream is seeded from the partner, the method, the path and the
// query, so the same call answers the same body and different calls (or
// partners) differ.

func (c *call) generated() {
	op := c.req.Route.Operation
	status, resp := successResponse(op)
	if resp == nil {
		c.fail(http.StatusNotImplemented, "not_implemented", "This operation declares no success response, so its sandbox has nothing to answer.")
		return
	}
	g := &gen{r: rng(tagGenerated, u64(c.req.PartnerID), hashString(c.r.Method), hashString(c.r.URL.Path), hashString(c.query.Encode()))}
	for _, name := range sortedKeys(resp.Headers) {
		h := resp.Headers[name]
		if h == nil || h.Value == nil || !h.Value.Required || strings.EqualFold(name, "Content-Type") {
			continue
		}
		c.setHeader(name, headerValue(g.value(h.Value.Schema, 0)))
	}
	ctype, mt := mediaType(resp.Content)
	if mt == nil || status == http.StatusNoContent {
		c.sendRaw(status, "", nil)
		return
	}
	v, ok := g.example(mt)
	if !ok {
		v = g.value(mt.Schema, 0)
	}
	if s, isString := v.(string); isString && !strings.Contains(ctype, "json") {
		c.sendRaw(status, ctype, []byte(s))
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(http.StatusInternalServerError, "internal_error", "The sandbox could not encode its answer.")
		return
	}
	c.sendRaw(status, ctype, b)
}

// successResponse is the lowest 2xx response an operation declares (2XX
// and default count as 200).
func successResponse(op *openapi3.Operation) (int, *openapi3.Response) {
	if op == nil || op.Responses == nil {
		return 0, nil
	}
	best, var2xx := 0, (*openapi3.Response)(nil)
	for code, ref := range op.Responses.Map() {
		if ref == nil || ref.Value == nil {
			continue
		}
		if n, err := strconv.Atoi(code); err == nil && n >= 200 && n < 300 && (best == 0 || n < best) {
			best, var2xx = n, ref.Value
		}
	}
	if var2xx != nil {
		return best, var2xx
	}
	for _, code := range []string{"2XX", "2xx", "default"} {
		if ref := op.Responses.Value(code); ref != nil && ref.Value != nil {
			return http.StatusOK, ref.Value
		}
	}
	return 0, nil
}

// mediaType picks the JSON media type of a response, or else the first
// by name; a wildcard becomes application/json.
func mediaType(content openapi3.Content) (string, *openapi3.MediaType) {
	if len(content) == 0 {
		return "", nil
	}
	names := sortedKeys(content)
	chosen := names[0]
	for _, n := range names {
		if n == "application/json" || (strings.Contains(n, "json") && chosen != "application/json" && !strings.Contains(chosen, "json")) {
			chosen = n
		}
	}
	ctype := chosen
	if strings.Contains(ctype, "*") {
		ctype = "application/json"
	}
	return ctype, content[chosen]
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func headerValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return strings.Trim(string(b), `"`)
}

// gen generates values from schemas with one random stream.
type gen struct {
	r *rand.Rand
}

// Beyond softDepth only required properties and minItems items are
// generated; beyond hardDepth nothing is (a schema that requires itself).
const (
	softDepth = 6
	hardDepth = 24
)

// example picks one of a media type's examples.
func (g *gen) example(mt *openapi3.MediaType) (any, bool) {
	if mt.Example != nil {
		return mt.Example, true
	}
	var vals []any
	for _, name := range sortedKeys(mt.Examples) {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			vals = append(vals, ex.Value.Value)
		}
	}
	if len(vals) == 0 {
		return nil, false
	}
	return vals[g.r.IntN(len(vals))], true
}

func (g *gen) value(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil || ref.Value == nil || depth > hardDepth {
		return nil
	}
	s := ref.Value
	switch {
	case s.Always != nil:
		if *s.Always {
			return map[string]any{}
		}
		return nil
	case s.Const != nil:
		return s.Const
	case len(s.Enum) > 0:
		return s.Enum[g.r.IntN(len(s.Enum))]
	case len(s.AllOf) > 0:
		return g.allOf(s, depth)
	case len(s.OneOf) > 0:
		return g.variant(s, s.OneOf[0], depth)
	case len(s.AnyOf) > 0:
		return g.variant(s, s.AnyOf[0], depth)
	}
	switch typ := g.typeOf(s); typ {
	case "null":
		return nil
	case "object":
		return g.object(s, depth)
	case "array":
		return g.array(s, depth)
	case "boolean", "integer", "number", "string":
		if len(s.Examples) > 0 {
			return s.Examples[g.r.IntN(len(s.Examples))]
		}
		if s.Example != nil {
			return s.Example
		}
		switch typ {
		case "boolean":
			return g.r.IntN(2) == 0
		case "integer":
			return g.integer(s)
		case "number":
			return g.number(s)
		}
		return g.str(s)
	}
	return nil
}

// typeOf picks the type to generate: the declared one (mostly not null
// when null is allowed too), else what the keywords suggest.
func (g *gen) typeOf(s *openapi3.Schema) string {
	var types []string
	if s.Type != nil {
		for _, t := range *s.Type {
			if t != "null" {
				types = append(types, t)
			}
		}
		nullable := s.Nullable || s.Type.Includes("null")
		if len(types) == 0 && nullable {
			return "null"
		}
		if nullable && g.r.IntN(6) == 0 {
			return "null"
		}
	}
	switch {
	case len(types) > 0:
		return types[g.r.IntN(len(types))]
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil || len(s.Required) > 0:
		return "object"
	case s.Items != nil || len(s.PrefixItems) > 0:
		return "array"
	case s.Min != nil || s.Max != nil || s.MultipleOf != nil:
		return "number"
	}
	return "string"
}

// allOf merges the objects its parts generate, with the schema's own
// properties; a non-object part wins on its own.
func (g *gen) allOf(s *openapi3.Schema, depth int) any {
	merged := map[string]any{}
	for _, part := range s.AllOf {
		v := g.value(part, depth+1)
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for k, x := range m {
			merged[k] = x
		}
	}
	if len(s.Properties) > 0 || len(s.Required) > 0 {
		for k, x := range g.object(s, depth) {
			merged[k] = x
		}
	}
	return merged
}

// variant generates oneOf/anyOf's first choice, with the schema's own
// properties and the discriminator's value for that choice.
func (g *gen) variant(s *openapi3.Schema, first *openapi3.SchemaRef, depth int) any {
	v := g.value(first, depth+1)
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if len(s.Properties) > 0 {
		for k, x := range g.object(s, depth) {
			if _, set := m[k]; !set {
				m[k] = x
			}
		}
	}
	if d := s.Discriminator; d != nil && d.PropertyName != "" {
		name := first.Ref[strings.LastIndex(first.Ref, "/")+1:]
		for _, key := range sortedKeys(d.Mapping) {
			if d.Mapping[key].Ref == first.Ref {
				name = key
				break
			}
		}
		if name != "" {
			m[d.PropertyName] = name
		}
	}
	return m
}

func (g *gen) object(s *openapi3.Schema, depth int) map[string]any {
	obj := map[string]any{}
	required := make(map[string]bool, len(s.Required))
	for _, n := range s.Required {
		required[n] = true
	}
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		if p == nil || p.Value == nil || p.Value.WriteOnly || (!required[name] && depth >= softDepth) {
			continue
		}
		obj[name] = g.value(p, depth+1)
	}
	extra := s.AdditionalProperties.Schema
	for _, name := range s.Required {
		if _, ok := obj[name]; !ok {
			obj[name] = g.valueOrWord(extra, depth)
		}
	}
	allowExtra := s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has
	want := count(s.MinProps)
	if len(s.Properties) == 0 && extra != nil && depth < softDepth {
		want = max(want, 1+g.r.IntN(2))
	}
	for i := 1; len(obj) < want && allowExtra; i++ {
		obj["key"+strconv.Itoa(i)] = g.valueOrWord(extra, depth)
	}
	if s.MaxProps != nil {
		names := sortedKeys(obj)
		for i := len(names) - 1; i >= 0 && uint64(len(obj)) > *s.MaxProps; i-- {
			if !required[names[i]] {
				delete(obj, names[i])
			}
		}
	}
	return obj
}

func (g *gen) valueOrWord(ref *openapi3.SchemaRef, depth int) any {
	if ref == nil {
		return words[g.r.IntN(len(words))]
	}
	return g.value(ref, depth+1)
}

func (g *gen) array(s *openapi3.Schema, depth int) []any {
	lo := count(s.MinItems)
	hi := max(lo, 1) + 2
	if s.MaxItems != nil {
		hi = min(hi, count(*s.MaxItems))
	}
	if lo == 0 && hi > 0 {
		lo = 1
	}
	n := lo
	if depth < softDepth && hi > lo {
		n = between(g.r, lo, hi)
	}
	out := make([]any, 0, n)
	seen := map[string]bool{}
	for i := 0; len(out) < n && i < n+20; i++ {
		var v any
		if len(out) < len(s.PrefixItems) {
			v = g.value(s.PrefixItems[len(out)], depth+1)
		} else if s.Items != nil {
			v = g.value(s.Items, depth+1)
		} else {
			v = words[g.r.IntN(len(words))]
		}
		if s.UniqueItems {
			b, _ := json.Marshal(v)
			if seen[string(b)] {
				continue
			}
			seen[string(b)] = true
		}
		out = append(out, v)
	}
	return out
}
