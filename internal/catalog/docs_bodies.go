package catalog

import (
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Bodies and responses: media types, their schemas and examples, the
// responses of an operation and the shared error shape.

// sortedContent returns the media types, JSON first, then by name.
func sortedContent(c openapi3.Content) []*openapi3.MediaType {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ji, jj := isJSON(keys[i]), isJSON(keys[j])
		if ji != jj {
			return ji
		}
		return keys[i] < keys[j]
	})
	out := make([]*openapi3.MediaType, 0, len(keys))
	for _, k := range keys {
		if c[k] != nil {
			out = append(out, c[k])
		}
	}
	return out
}

func isJSON(mediaType string) bool {
	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

func firstMediaType(c openapi3.Content) (string, *openapi3.MediaType) {
	for _, mt := range sortedContent(c) {
		for k, v := range c {
			if v == mt {
				return k, mt
			}
		}
	}
	return "", nil
}

// body describes the preferred media type of a content map.
func (b *builder) body(c openapi3.Content, desc Prose) (*openapi3.MediaType, *DocBody) {
	name, mt := firstMediaType(c)
	if mt == nil {
		return nil, nil
	}
	d := &DocBody{MediaType: name, Description: desc}
	if mt.Schema != nil && mt.Schema.Value != nil {
		d.Schema = b.schema(mt.Schema)
	}
	if mt.Example != nil {
		d.Examples = append(d.Examples, DocExample{Name: "example", JSON: JSON(b.order(mt.Example, mt.Schema, 0), "  ")})
	}
	for _, ne := range namedExamples(mt.Examples) {
		d.Examples = append(d.Examples, DocExample{Name: ne.name, Summary: ne.ex.Summary, JSON: JSON(b.order(ne.ex.Value, mt.Schema, 0), "  ")})
	}
	if len(d.Examples) == 0 && mt.Schema != nil {
		if v := b.example(mt.Schema, 0, map[*openapi3.Schema]bool{}); v != nil {
			d.Examples = append(d.Examples, DocExample{Name: "example", JSON: JSON(v, "  "), Generated: true})
		}
	}
	return mt, d
}

// responses describes the responses in status order, default last.
func (b *builder) responses(rs *openapi3.Responses) []DocResponse {
	if rs == nil {
		return nil
	}
	keys := rs.Keys()
	sort.Slice(keys, func(i, j int) bool { return statusRank(keys[i]) < statusRank(keys[j]) })
	var out []DocResponse
	for _, k := range keys {
		ref := rs.Value(k)
		if ref == nil || ref.Value == nil {
			continue
		}
		r := ref.Value
		d := DocResponse{Status: k, Error: k == "default" || k[0] >= '4'}
		if r.Description != nil {
			d.Description = ParseProse(*r.Description)
		}
		for _, name := range sortedKeys(r.Headers) {
			h := r.Headers[name]
			if h == nil || h.Value == nil {
				continue
			}
			hp, _ := b.param(&h.Value.Parameter)
			hp.Name, hp.In = name, "header"
			d.Headers = append(d.Headers, hp)
		}
		if _, body := b.body(r.Content, nil); body != nil {
			d.Body = body
			if _, mt := firstMediaType(r.Content); mt != nil && b.isErrorShape(mt.Schema) {
				d.ErrorShape = true
			}
		}
		out = append(out, d)
	}
	return out
}

func statusRank(s string) int {
	if s == "default" {
		return 1000
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' {
		return int(s[0]-'0')*100 + 99
	}
	return 999
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// findErrorSchema is the components' Error schema, or the schema of the
// first JSON error response.
func (b *builder) findErrorSchema(spec *Spec) *openapi3.SchemaRef {
	if b.doc.Components != nil {
		for _, name := range []string{"Error", "Problem", "ErrorResponse"} {
			if s := b.doc.Components.Schemas[name]; s != nil && s.Value != nil {
				return &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: s.Value}
			}
		}
	}
	for _, o := range spec.Operations {
		item := b.doc.Paths.Value(o.Path)
		if item == nil {
			continue
		}
		op := item.GetOperation(o.Method)
		if op == nil || op.Responses == nil {
			continue
		}
		keys := op.Responses.Keys()
		sort.Slice(keys, func(i, j int) bool { return statusRank(keys[i]) < statusRank(keys[j]) })
		for _, k := range keys {
			r := op.Responses.Value(k)
			if k[0] < '4' || r == nil || r.Value == nil {
				continue
			}
			if _, mt := firstMediaType(r.Value.Content); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
				return mt.Schema
			}
		}
	}
	return nil
}

func (b *builder) isErrorShape(s *openapi3.SchemaRef) bool {
	e := b.errorSchema
	if e == nil || s == nil {
		return false
	}
	return (s.Ref != "" && s.Ref == e.Ref) || (s.Value != nil && s.Value == e.Value)
}

// errors describes the error shape once, with every error status the
// operations answer and the first description of each.
func (b *builder) errors(groups []DocGroup) *DocErrors {
	if b.errorSchema == nil {
		return nil
	}
	d := &DocErrors{Schema: b.schema(b.errorSchema)}
	if v := b.example(b.errorSchema, 0, map[*openapi3.Schema]bool{}); v != nil {
		d.Example = JSON(v, "  ")
	}
	seen := map[string]bool{}
	for _, g := range groups {
		for _, o := range g.Operations {
			for _, r := range o.Responses {
				if r.Error && !seen[r.Status] {
					seen[r.Status] = true
					d.Statuses = append(d.Statuses, DocStatus{Status: r.Status, Description: r.Description})
				}
			}
		}
	}
	sort.Slice(d.Statuses, func(i, j int) bool { return statusRank(d.Statuses[i].Status) < statusRank(d.Statuses[j].Status) })
	return d
}
