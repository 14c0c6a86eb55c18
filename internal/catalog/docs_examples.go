package catalog

import (
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// Examples: the ones a document gives, in document order, and the ones
// built from a schema when it gives none.

// firstExample is the value a sample sends: the first example of the
// media type, or one built from its schema.
func (b *builder) firstExample(mt *openapi3.MediaType) any {
	if mt.Example != nil {
		return b.order(mt.Example, mt.Schema, 0)
	}
	if ex := firstNamed(mt.Examples); ex != nil && ex.Value != nil {
		return b.order(ex.Value, mt.Schema, 0)
	}
	if mt.Schema != nil {
		if v := b.example(mt.Schema, 0, map[*openapi3.Schema]bool{}); v != nil {
			return v
		}
	}
	return &Object{}
}

type namedExample struct {
	name string
	ex   *openapi3.Example
}

// namedExamples returns examples in document order (by name without
// source positions).
func namedExamples(exs openapi3.Examples) []namedExample {
	var out []namedExample
	line := map[string]int{}
	for name, ref := range exs {
		if ref == nil || ref.Value == nil {
			continue
		}
		out = append(out, namedExample{name, ref.Value})
		line[name] = originLine(ref.Origin)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].name, out[j].name
		if line[a] != line[b] {
			return line[a] < line[b]
		}
		return a < b
	})
	return out
}

func firstNamed(exs openapi3.Examples) *openapi3.Example {
	if all := namedExamples(exs); len(all) > 0 {
		return all[0].ex
	}
	return nil
}

func originLine(o *openapi3.Origin) int {
	if o == nil || o.Key == nil {
		return 0
	}
	return o.Key.Line
}

// example returns the schema's own example or builds one from its
// properties, enums, formats and types, objects in document order.
func (b *builder) example(ref *openapi3.SchemaRef, depth int, seen map[*openapi3.Schema]bool) any {
	if ref == nil || ref.Value == nil {
		return nil
	}
	s := ref.Value
	if ex := schemaExample(s); ex != nil {
		return b.order(ex, ref, 0)
	}
	if s.Default != nil {
		return b.order(s.Default, ref, 0)
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if seen[s] || depth > maxDepth {
		return nil
	}
	seen[s] = true
	defer delete(seen, s)
	if len(s.OneOf) > 0 {
		return b.example(s.OneOf[0], depth+1, seen)
	}
	if len(s.AnyOf) > 0 {
		return b.example(s.AnyOf[0], depth+1, seen)
	}
	if props := properties(s, false); len(props) > 0 || s.Type.Includes("object") {
		o := &Object{}
		for _, p := range props {
			o.Set(p.name, b.example(p.ref, depth+1, seen))
		}
		return o
	}
	switch {
	case isArray(s):
		if item := b.example(s.Items, depth+1, seen); item != nil {
			return []any{item}
		}
		return []any{}
	case s.Type.Includes("string"):
		return formatExample(s.Format)
	case s.Type.Includes("integer"), s.Type.Includes("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 0
	case s.Type.Includes("boolean"):
		return true
	}
	return nil
}

func formatExample(format string) string {
	switch format {
	case "date-time":
		return "2025-01-31T09:30:00Z"
	case "date":
		return "2025-01-31"
	case "time":
		return "09:30:00"
	case "email":
		return "dev@example.com"
	case "uuid":
		return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	case "uri", "url":
		return "https://example.com/"
	case "uri-reference":
		return "/path"
	case "ipv4":
		return "192.0.2.10"
	case "ipv6":
		return "2001:db8::10"
	case "byte":
		return "U3dhZ2dlciByb2Nrcw=="
	}
	return "string"
}

// order turns a decoded example into ordered values: object keys in the
// order the schema declares them, keys it does not declare after, by name.
func (b *builder) order(v any, ref *openapi3.SchemaRef, depth int) any {
	switch x := v.(type) {
	case map[string]any:
		o := &Object{}
		if ref != nil && ref.Value != nil && depth < maxDepth*2 {
			for _, p := range properties(ref.Value, true) {
				if val, ok := x[p.name]; ok {
					o.Set(p.name, b.order(val, p.ref, depth+1))
				}
			}
		}
		for _, k := range sortedKeys(x) {
			if _, done := o.Values[k]; !done {
				o.Set(k, b.order(x[k], nil, depth+1))
			}
		}
		return o
	case []any:
		var items *openapi3.SchemaRef
		if ref != nil && ref.Value != nil {
			items = ref.Value.Items
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = b.order(e, items, depth+1)
		}
		return out
	}
	return v
}
