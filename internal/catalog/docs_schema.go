package catalog

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Schemas as tables of fields, with their types and rules in words.

// prop is a property of an object schema.
type prop struct {
	name     string
	ref      *openapi3.SchemaRef
	required bool
}

// properties returns the properties of s (with those of its allOf parts
// and, when variants is set, of its oneOf/anyOf alternatives) in document
// order.
func properties(s *openapi3.Schema, variants bool) []prop {
	var out []prop
	seen := map[string]bool{}
	required := map[string]bool{}
	var walk func(s *openapi3.Schema, depth int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 3 {
			return
		}
		for _, r := range s.Required {
			required[r] = true
		}
		names := sortedKeys(s.Properties)
		sort.SliceStable(names, func(i, j int) bool {
			return originLine(s.Properties[names[i]].Origin) < originLine(s.Properties[names[j]].Origin)
		})
		for _, n := range names {
			if p := s.Properties[n]; p != nil && p.Value != nil && !seen[n] {
				seen[n] = true
				out = append(out, prop{name: n, ref: p})
			}
		}
		parts := s.AllOf
		if variants {
			parts = append(append(append(openapi3.SchemaRefs{}, parts...), s.OneOf...), s.AnyOf...)
		}
		for _, part := range parts {
			if part != nil {
				walk(part.Value, depth+1)
			}
		}
	}
	walk(s, 0)
	for i := range out {
		out[i].required = required[out[i].name]
	}
	return out
}

// schema describes a body's schema.
func (b *builder) schema(ref *openapi3.SchemaRef) *DocSchema {
	s := ref.Value
	d := &DocSchema{Type: typeLabel(ref), Name: refName(ref), Description: ParseProse(s.Description)}
	seen := map[*openapi3.Schema]bool{}
	switch {
	case len(s.OneOf) > 0 || len(s.AnyOf) > 0:
		alts := s.OneOf
		if len(alts) == 0 {
			alts = s.AnyOf
		}
		for _, a := range alts {
			if a != nil && a.Value != nil {
				v := DocSchema{Type: typeLabel(a), Name: refName(a), Description: ParseProse(a.Value.Description)}
				b.fields(a, "", 0, seen, &v.Fields)
				d.Variants = append(d.Variants, v)
			}
		}
	case isArray(s) && s.Items != nil && s.Items.Value != nil:
		b.fields(s.Items, "", 0, seen, &d.Fields)
	default:
		b.fields(ref, "", 0, seen, &d.Fields)
	}
	return d
}

// fields flattens the properties of ref into out, nested objects and
// arrays of objects under their parent's name, down to maxDepth and never
// around a cycle.
func (b *builder) fields(ref *openapi3.SchemaRef, parent string, depth int, seen map[*openapi3.Schema]bool, out *[]DocField) {
	s := ref.Value
	seen[s] = true
	defer delete(seen, s)
	for _, p := range properties(s, false) {
		if len(*out) >= maxFields {
			return
		}
		ps := p.ref.Value
		f := DocField{Parent: parent, Name: p.name, Depth: depth, Type: typeLabel(p.ref), Format: ps.Format,
			Required: p.required, ReadOnly: ps.ReadOnly, Deprecated: ps.Deprecated,
			Description: ParseProse(ps.Description), Enum: enumValues(ps), Rules: rules(ps)}
		if ex := schemaExample(ps); ex != nil && isScalar(ex) {
			f.Example = display(ex)
		}
		child, childParent := nested(p.ref, parent+p.name)
		switch {
		case child == nil:
			*out = append(*out, f)
		case seen[child.Value]:
			f.Note = "Recursive: the same shape as an enclosing object."
			*out = append(*out, f)
		case depth+1 >= maxDepth:
			f.Note = "Nested fields not shown (too deep)."
			*out = append(*out, f)
		default:
			*out = append(*out, f)
			b.fields(child, childParent, depth+1, seen, out)
		}
	}
}

// nested returns the object whose fields go under a property: the
// property itself, or the items of an array of objects.
func nested(ref *openapi3.SchemaRef, name string) (*openapi3.SchemaRef, string) {
	s := ref.Value
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		return nil, ""
	}
	if len(properties(s, false)) > 0 {
		return ref, name + "."
	}
	if isArray(s) && s.Items != nil && s.Items.Value != nil && len(s.Items.Value.OneOf) == 0 && len(s.Items.Value.AnyOf) == 0 &&
		len(properties(s.Items.Value, false)) > 0 {
		return s.Items, name + "[]."
	}
	return nil, ""
}

func isArray(s *openapi3.Schema) bool { return s.Type.Includes("array") }

func refName(ref *openapi3.SchemaRef) string {
	if name, ok := strings.CutPrefix(ref.Ref, "#/components/schemas/"); ok {
		return name
	}
	return ""
}

// typeLabel is a schema's type in words: "string", "array of Spreader",
// "number | null", "one of: A | B".
func typeLabel(ref *openapi3.SchemaRef) string {
	return typeLabelDepth(ref, 0)
}

func typeLabelDepth(ref *openapi3.SchemaRef, depth int) string {
	if ref == nil || ref.Value == nil {
		return "any"
	}
	s := ref.Value
	if depth > 3 {
		return "…"
	}
	alts, word := s.OneOf, "one of: "
	if len(alts) == 0 {
		alts, word = s.AnyOf, "any of: "
	}
	if len(alts) > 0 {
		var parts []string
		for _, a := range alts {
			if n := refName(a); n != "" {
				parts = append(parts, n)
			} else {
				parts = append(parts, typeLabelDepth(a, depth+1))
			}
		}
		return word + strings.Join(parts, " | ")
	}
	var parts []string
	null := s.Nullable
	for _, t := range s.Type.Slice() {
		switch t {
		case "null":
			null = true
		case "array":
			item := "any"
			if s.Items != nil {
				if n := refName(s.Items); n != "" && len(properties(s.Items.Value, true)) > 0 {
					item = n
				} else {
					item = typeLabelDepth(s.Items, depth+1)
				}
			}
			parts = append(parts, "array of "+item)
		case "object":
			parts = append(parts, objectLabel(ref))
		default:
			parts = append(parts, t)
		}
	}
	if len(parts) == 0 {
		switch {
		case len(properties(s, true)) > 0:
			parts = append(parts, objectLabel(ref))
		case null:
			return "null"
		default:
			parts = append(parts, "any")
		}
	}
	if null {
		parts = append(parts, "null")
	}
	return strings.Join(parts, " | ")
}

func objectLabel(ref *openapi3.SchemaRef) string {
	if n := refName(ref); n != "" {
		return n
	}
	return "object"
}

func enumValues(s *openapi3.Schema) []string {
	var out []string
	for _, v := range s.Enum {
		out = append(out, display(v))
	}
	return out
}

// rules are a schema's constraints in words.
func rules(s *openapi3.Schema) []string {
	var out []string
	if s.Default != nil {
		out = append(out, "default "+display(s.Default))
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
	switch {
	case s.Min != nil && s.Max != nil:
		out = append(out, "from "+num(*s.Min)+" to "+num(*s.Max))
	case s.Min != nil:
		out = append(out, "at least "+num(*s.Min))
	case s.Max != nil:
		out = append(out, "at most "+num(*s.Max))
	}
	switch {
	case s.MinLength > 0 && s.MaxLength != nil:
		out = append(out, fmt.Sprintf("%d to %d characters", s.MinLength, *s.MaxLength))
	case s.MaxLength != nil:
		out = append(out, fmt.Sprintf("at most %d characters", *s.MaxLength))
	case s.MinLength > 0:
		out = append(out, fmt.Sprintf("at least %d characters", s.MinLength))
	}
	if s.MaxItems != nil {
		out = append(out, fmt.Sprintf("at most %d items", *s.MaxItems))
	}
	if s.Pattern != "" {
		out = append(out, "pattern "+s.Pattern)
	}
	if s.ReadOnly {
		out = append(out, "read-only")
	}
	if s.WriteOnly {
		out = append(out, "write-only")
	}
	return out
}

// display is a value as a table shows it: strings bare, others as JSON.
func display(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return Compact(v)
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any, *Object:
		return false
	}
	return true
}

// schemaExample is the example a schema itself gives, if any.
func schemaExample(s *openapi3.Schema) any {
	switch {
	case len(s.Examples) > 0:
		return s.Examples[0]
	case s.Example != nil:
		return s.Example
	case s.Const != nil:
		return s.Const
	}
	return nil
}
