package catalog

import (
	"context"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// The documentation model: an API's document turned into plain, typed
// values the views render as escaped text. Nothing in it is HTML; the
// Markdown of descriptions is parsed into Prose blocks, never passed on.

// DocTarget is where the API is served, for its base URLs and the samples.
type DocTarget struct {
	// Sandbox and Live are absolute base URLs (…/sandbox/SLUG, …/live/SLUG).
	Sandbox string
	Live    string
}

// DocPage is the documentation of one revision of an API.
type DocPage struct {
	Title   string
	Version string
	Summary string
	// Intro is the first paragraph of the description as plain text.
	Intro       string
	Description Prose
	// Overview is the description without the sections Notes holds.
	Overview Prose
	Notes    DocNotes
	Target   DocTarget
	// Scopes are every scope the document declares, by name.
	Scopes []DocScope
	// Groups are the operations by tag (or first path segment).
	Groups     []DocGroup
	Operations int
	// Errors describes the shared error shape and the error statuses.
	Errors *DocErrors
}

// DocScope is a scope the document declares.
type DocScope struct{ Name, Description string }

// DocGroup is the operations of one tag.
type DocGroup struct {
	Name        string
	Anchor      string
	Description Prose
	Operations  []DocOperation
}

// DocOperation is one operation, ready to render.
type DocOperation struct {
	ID          string
	Anchor      string
	Method      string
	Path        string
	Summary     string
	Description Prose
	Deprecated  bool
	// Scopes are the scopes of which a caller needs one.
	Scopes    []string
	Params    []DocParam
	Body      *DocBody
	Responses []DocResponse
	Samples   []CodeSample
	// BodySample is the JSON body the samples send, indented; empty when
	// the operation takes none. Try it starts from it.
	BodySample string
}

// DocParam is a parameter (or a response header).
type DocParam struct {
	Name        string
	In          string
	Type        string
	Format      string
	Required    bool
	Deprecated  bool
	Description Prose
	Enum        []string
	Example     string
	Rules       []string
}

// DocSchema is a body's schema as a table of fields.
type DocSchema struct {
	// Type is the body's type: object, "array of Spreader", …
	Type string
	// Name is the component's name when the schema is a $ref.
	Name        string
	Description Prose
	Fields      []DocField
	// Variants are the alternatives of a oneOf/anyOf body, one level deep.
	Variants []DocSchema
}

// DocField is one property of a body, nested ones flattened under their
// parent ("position." or "items[].").
type DocField struct {
	Parent      string
	Name        string
	Depth       int
	Type        string
	Format      string
	Required    bool
	ReadOnly    bool
	Deprecated  bool
	Description Prose
	Enum        []string
	Example     string
	Rules       []string
	// Note says why nested fields are not shown (a cycle, the depth limit).
	Note string
}

// DocExample is a named example, as indented JSON.
type DocExample struct {
	Name    string
	Summary string
	JSON    string
	// Generated is true when the document had no example and one was
	// built from the schema.
	Generated bool
}

// DocBody is a request or response body.
type DocBody struct {
	MediaType   string
	Required    bool
	Description Prose
	Schema      *DocSchema
	Examples    []DocExample
}

// DocResponse is one response of an operation.
type DocResponse struct {
	Status      string
	Description Prose
	// Error is a 4xx, 5xx or default response; ErrorShape that its body is
	// the API's shared error shape (described once, under Errors).
	Error      bool
	ErrorShape bool
	Headers    []DocParam
	Body       *DocBody
}

// DocErrors is the API's error shape and the error statuses it answers.
type DocErrors struct {
	Schema   *DocSchema
	Example  string
	Statuses []DocStatus
}

// DocStatus is an error status and what it means (its first description).
type DocStatus struct {
	Status      string
	Description Prose
}

const (
	maxDepth  = 6   // nesting shown in field tables and generated examples
	maxFields = 300 // rows of one field table
)

// docCache keeps the documentation of each API's newest revision seen,
// per target: a revision never changes once stored, so a page is built
// once, and an API's older revisions drop out as new ones are imported.
// Its zero value is ready to use.
type docCache struct {
	mu    sync.Mutex
	pages map[int64]cachedDocs
}

type cachedDocs struct {
	revision int
	target   DocTarget
	page     *DocPage
}

func (c *docCache) get(apiID int64, revision int, t DocTarget) *DocPage {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.pages[apiID]; ok && e.revision == revision && e.target == t {
		return e.page
	}
	return nil
}

func (c *docCache) put(apiID int64, revision int, t DocTarget, p *DocPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil {
		c.pages = map[int64]cachedDocs{}
	}
	if e, ok := c.pages[apiID]; ok && e.revision > revision {
		return // a newer revision was cached meanwhile
	}
	c.pages[apiID] = cachedDocs{revision: revision, target: t, page: p}
}

// Docs returns the documentation of the API's current revision, built once
// per revision and target.
func (s *Service) Docs(ctx context.Context, apiID int64, t DocTarget) (*DocPage, error) {
	spec, rev, err := s.Current(ctx, apiID)
	if err != nil {
		return nil, err
	}
	if d := s.docs.get(apiID, rev.Revision, t); d != nil {
		return d, nil
	}
	d := BuildDocs(spec, rev.Spec, t)
	s.docs.put(apiID, rev.Revision, t, d)
	return d, nil
}

// BuildDocs builds the documentation of a parsed document. raw is the
// document's text: it is loaded again with source positions, so that
// properties and examples keep the order they are written in; without
// it (or if that fails) they are sorted by name.
func BuildDocs(spec *Spec, raw []byte, t DocTarget) *DocPage {
	doc := spec.Doc
	if len(raw) > 0 {
		l := openapi3.NewLoader()
		l.IncludeOrigin = true
		l.IsExternalRefsAllowed = false
		if d, err := l.LoadFromData(raw); err == nil {
			doc = d
		}
	}
	b := &builder{doc: doc}
	p := &DocPage{Title: spec.Title, Version: spec.Version, Target: t, Operations: len(spec.Operations)}
	if doc.Info != nil {
		p.Summary = doc.Info.Summary
		p.Description = ParseProse(doc.Info.Description)
		p.Overview, p.Notes = Fold(p.Description)
		p.Intro = p.Description.FirstParagraph()
		if p.Intro == "" {
			p.Intro = p.Summary
		}
	}
	for name, desc := range spec.Scopes {
		p.Scopes = append(p.Scopes, DocScope{Name: name, Description: desc})
	}
	sort.Slice(p.Scopes, func(i, j int) bool { return p.Scopes[i].Name < p.Scopes[j].Name })
	b.errorSchema = b.findErrorSchema(spec)
	p.Groups = b.groups(spec, t)
	p.Errors = b.errors(p.Groups)
	return p
}

type builder struct {
	doc         *openapi3.T
	errorSchema *openapi3.SchemaRef
}

// groups builds every operation, grouped by first tag in the order the
// document declares its tags, then by first path segment.
func (b *builder) groups(spec *Spec, t DocTarget) []DocGroup {
	index := map[string]int{}
	var out []DocGroup
	add := func(name string, desc string) int {
		if i, ok := index[name]; ok {
			return i
		}
		index[name] = len(out)
		out = append(out, DocGroup{Name: name, Anchor: "tag-" + anchor(name), Description: ParseProse(desc)})
		return len(out) - 1
	}
	for _, tag := range b.doc.Tags {
		if tag != nil {
			add(tag.Name, tag.Description)
		}
	}
	used := map[int]bool{}
	for _, o := range spec.Operations {
		item := b.doc.Paths.Value(o.Path)
		if item == nil {
			continue
		}
		op := item.GetOperation(o.Method)
		if op == nil {
			continue
		}
		name := ""
		if len(op.Tags) > 0 {
			name = op.Tags[0]
		} else {
			seg := strings.SplitN(strings.TrimPrefix(o.Path, "/"), "/", 2)[0]
			name = "/" + seg
		}
		i := add(name, "")
		used[i] = true
		out[i].Operations = append(out[i].Operations, b.operation(o, item, op, t))
	}
	var groups []DocGroup
	for i, g := range out {
		if used[i] {
			groups = append(groups, g)
		}
	}
	return groups
}

func (b *builder) operation(o Operation, item *openapi3.PathItem, op *openapi3.Operation, t DocTarget) DocOperation {
	d := DocOperation{ID: o.OperationID, Method: o.Method, Path: o.Path, Summary: op.Summary,
		Description: ParseProse(op.Description), Deprecated: op.Deprecated, Scopes: o.Scopes}
	if d.ID == "" {
		d.ID = strings.ToLower(o.Method) + o.Path
	}
	d.Anchor = "op-" + anchor(d.ID)
	if d.Summary == "" {
		d.Summary = o.Method + " " + o.Path
	}
	params := mergeParams(item.Parameters, op.Parameters)
	pathValues, query := map[string]string{}, url.Values{}
	for _, pr := range params {
		dp, example := b.param(pr)
		d.Params = append(d.Params, dp)
		switch {
		case pr.In == "path":
			pathValues[pr.Name] = sampleText(example, pr.Name)
		case pr.In == "query" && pr.Required:
			query.Set(pr.Name, sampleText(example, pr.Name))
		}
	}
	req := SampleRequest{Method: o.Method, URL: t.Sandbox + fillPath(o.Path, pathValues)}
	if len(query) > 0 {
		req.URL += "?" + query.Encode()
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		rb := op.RequestBody.Value
		if mt, body := b.body(rb.Content, ParseProse(rb.Description)); body != nil {
			body.Required = rb.Required
			d.Body = body
			req.Body = b.firstExample(mt)
			if req.Body != nil {
				d.BodySample = JSON(req.Body, "  ")
			}
		}
	}
	d.Responses = b.responses(op.Responses)
	d.Samples = Samples(req)
	return d
}

// mergeParams returns the path item's parameters overridden by the
// operation's (same name and location), path parameters first.
func mergeParams(shared, own openapi3.Parameters) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	seen := map[string]int{}
	for _, list := range []openapi3.Parameters{shared, own} {
		for _, ref := range list {
			if ref == nil || ref.Value == nil {
				continue
			}
			k := ref.Value.In + " " + ref.Value.Name
			if i, ok := seen[k]; ok {
				out[i] = ref.Value
				continue
			}
			seen[k] = len(out)
			out = append(out, ref.Value)
		}
	}
	rank := map[string]int{"path": 0, "query": 1, "header": 2, "cookie": 3}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].In] < rank[out[j].In] })
	return out
}

// param describes a parameter and returns its example value.
func (b *builder) param(p *openapi3.Parameter) (DocParam, any) {
	d := DocParam{Name: p.Name, In: p.In, Required: p.Required, Deprecated: p.Deprecated, Description: ParseProse(p.Description)}
	schema := p.Schema
	if schema == nil {
		for _, mt := range sortedContent(p.Content) {
			schema = mt.Schema
			break
		}
	}
	example := p.Example
	if example == nil {
		if ex := firstNamed(p.Examples); ex != nil {
			example = ex.Value
		}
	}
	if schema != nil && schema.Value != nil {
		d.Type, d.Format = typeLabel(schema), schema.Value.Format
		d.Enum = enumValues(schema.Value)
		d.Rules = rules(schema.Value)
		if d.Description == nil {
			d.Description = ParseProse(schema.Value.Description)
		}
		if example == nil {
			example = b.example(schema, 0, map[*openapi3.Schema]bool{})
		}
	}
	if example != nil {
		d.Example = display(example)
	}
	return d, example
}

// sampleText is a parameter's example as it goes into a URL.
func sampleText(v any, name string) string {
	if v == nil {
		return "{" + name + "}"
	}
	if s, ok := v.(string); ok {
		return s
	}
	return Compact(v)
}

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func fillPath(path string, values map[string]string) string {
	return pathParam.ReplaceAllStringFunc(path, func(m string) string {
		name := m[1 : len(m)-1]
		if v, ok := values[name]; ok {
			return url.PathEscape(v)
		}
		return m
	})
}

var anchorUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// anchor makes a fragment identifier of a name.
func anchor(s string) string {
	return strings.Trim(anchorUnsafe.ReplaceAllString(s, "-"), "-")
}
