package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConsoleView is how the document a viewer downloads from the docs page
// for their own tools (Postman, Swagger UI, …) presents an API to them.
type ConsoleView struct {
	// Server is the API's sandbox base URL, the only server listed: the
	// console never calls live.
	Server string
	// Held are the API's scopes the viewer holds now; nil for staff, who
	// hold none and whose operations are not marked.
	Held map[string]bool
}

// ConsoleBearerFormat describes the tokens the console takes.
const ConsoleBearerFormat = "ptc_sbx_…" // #nosec G101 -- the prefix of a token, shown as a hint; no credential

// notGranted is the mark of an operation the viewer may not call.
const notGranted = "not granted to you"

// ConsoleDocument returns the API's document (raw, as imported, YAML or
// JSON) as JSON for the console, in the document's own order, with:
//   - servers replaced by the sandbox alone;
//   - every OAuth2 and OpenID Connect security scheme replaced, under the
//     same name, by an HTTP bearer scheme, so the console can fill in a
//     token (Swagger UI, for one, pre-authorises bearer and API-key schemes only;
//     the operations' security requirements still name their scopes);
//   - each operation's description starting with the scopes it requires
//     and, for partner users, whether they hold one; an operation they do
//     not may be tried but answers 403, and its summary says so.
//
// spec is the parsed document, for each operation's scopes.
func ConsoleDocument(spec *Spec, raw []byte, v ConsoleView) ([]byte, error) {
	root, err := yParse(raw)
	if err != nil {
		return nil, fmt.Errorf("console document: %w", err)
	}
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("console document: the document is not a mapping")
	}
	ySet(root, "servers", ySeq(yMap(
		"url", yStr(v.Server),
		"description", yStr("Sandbox: synthetic data of your organisation"),
	)))
	if schemes := yGet(yGet(root, "components"), "securitySchemes"); schemes != nil && schemes.Kind == yaml.MappingNode {
		for i := 1; i < len(schemes.Content); i += 2 {
			s := yDeref(schemes.Content[i])
			if t := yGet(s, "type"); t != nil && (t.Value == "oauth2" || t.Value == "openIdConnect") {
				schemes.Content[i] = yMap(
					"type", yStr("http"),
					"scheme", yStr("bearer"),
					"bearerFormat", yStr(ConsoleBearerFormat),
					"description", yStr("A sandbox token (`"+ConsoleBearerFormat+"`), sent as `Authorization: Bearer`. "+
						"The console fills in a 15-minute token with your scopes of this API; to try one of your own sandbox tokens, "+
						"log out here and paste it. Live tokens are refused."),
				)
			}
		}
	}
	scopes := make(map[string][]string, len(spec.Operations))
	for _, op := range spec.Operations {
		scopes[op.Key()] = op.Scopes
	}
	marked := map[*yaml.Node]bool{}
	if params := yGet(yGet(root, "components"), "parameters"); params != nil && params.Kind == yaml.MappingNode {
		for i := 1; i < len(params.Content); i += 2 {
			yOptionalParam(yDeref(params.Content[i]), marked)
		}
	}
	if paths := yGet(root, "paths"); paths != nil && paths.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(paths.Content); i += 2 {
			path, item := paths.Content[i].Value, yDeref(paths.Content[i+1])
			if item.Kind != yaml.MappingNode {
				continue
			}
			// A path's or an operation's own servers would lead the
			// console elsewhere than the sandbox.
			yDelete(item, "servers")
			yOptionalParams(yGet(item, "parameters"), marked)
			for j := 0; j+1 < len(item.Content); j += 2 {
				method := strings.ToUpper(item.Content[j].Value)
				sc, ok := scopes[method+" "+path]
				if !ok {
					continue // not an operation (parameters, summary…)
				}
				op := yDeref(item.Content[j+1])
				if op.Kind == yaml.MappingNode && !marked[op] {
					marked[op] = true
					yDelete(op, "servers")
					yOptionalParams(yGet(op, "parameters"), marked)
					markOperation(op, sc, v.Held)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := yJSON(&buf, root, 0); err != nil {
		return nil, fmt.Errorf("console document: %w", err)
	}
	return buf.Bytes(), nil
}

// yOptionalParams applies yOptionalParam to a list of parameters.
func yOptionalParams(list *yaml.Node, done map[*yaml.Node]bool) {
	if list == nil || list.Kind != yaml.SequenceNode {
		return
	}
	for _, p := range list.Content {
		yOptionalParam(yDeref(p), done)
	}
}

// yOptionalParam moves an optional parameter's example into its
// description: tools such as Swagger UI and Postman fill examples in as values, and a call the
// developer did not ask for (filters, a cursor) would answer an empty or a
// refused page. Required parameters keep theirs, so Execute works at once.
func yOptionalParam(p *yaml.Node, done map[*yaml.Node]bool) {
	if p == nil || p.Kind != yaml.MappingNode || done[p] {
		return
	}
	done[p] = true
	if r := yGet(p, "required"); r != nil && r.Value == "true" {
		return
	}
	if in := yGet(p, "in"); in == nil || in.Value == "path" {
		return
	}
	var ex string
	if e := yGet(p, "example"); e != nil && e.Kind == yaml.ScalarNode {
		ex = e.Value
	}
	if ex == "" && yGet(p, "examples") == nil {
		return
	}
	yDelete(p, "example")
	yDelete(p, "examples")
	if ex != "" {
		d := yGet(p, "description")
		text := "Example: `" + ex + "`."
		if d != nil && strings.TrimSpace(d.Value) != "" {
			text = strings.TrimSpace(d.Value) + " " + text
		}
		ySet(p, "description", yStr(text))
	}
}

// markOperation starts the operation's description with its scopes and,
// for a partner user, whether they hold one.
func markOperation(op *yaml.Node, scopes []string, held map[string]bool) {
	codes := make([]string, len(scopes))
	holds := false
	for i, sc := range scopes {
		codes[i] = "`" + sc + "`"
		holds = holds || held[sc]
	}
	need := "Requires " + strings.Join(codes, " or ") + "."
	if len(scopes) > 1 {
		need = "Requires one of " + strings.Join(codes, ", ") + "."
	}
	note := need
	switch {
	case held == nil:
	case holds:
		note += " You hold it."
	default:
		note = "**Not granted to you — calls answer 403 `insufficient_scope`.** " + need +
			" Ask your partner admin or your account manager for access."
		summary := yGet(op, "summary")
		if summary == nil || summary.Value == "" {
			ySet(op, "summary", yStr("("+notGranted+")"))
		} else {
			ySet(op, "summary", yStr(summary.Value+" ("+notGranted+")"))
		}
	}
	if d := yGet(op, "description"); d != nil && strings.TrimSpace(d.Value) != "" {
		note += "\n\n" + d.Value
	}
	ySet(op, "description", yStr(note))
}

// yParse parses a YAML or JSON document into a node tree that keeps
// the order of keys.
func yParse(raw []byte) (*yaml.Node, error) {
	if t := bytes.TrimLeft(raw, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		n, err := yFromJSON(dec)
		if err == nil {
			return n, nil
		}
		// Not JSON after all: a YAML flow mapping, say.
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	return doc.Content[0], nil
}

// yFromJSON reads one JSON value from dec as a node.
func yFromJSON(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		end := json.Delim('}')
		if t == '[' {
			n = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			end = ']'
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := k.(string)
				if !ok {
					return nil, errors.New("a JSON key is not a string")
				}
				n.Content = append(n.Content, yStr(key))
			}
			v, err := yFromJSON(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if tok, err := dec.Token(); err != nil || tok != end {
			return nil, errors.New("unbalanced JSON")
		}
		return n, nil
	case string:
		return yStr(t), nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(t.String(), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: t.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected JSON token %v", tok)
}

// yMaxDepth bounds nesting and alias expansion (a billion laughs).
const yMaxDepth = 200

// yJSON writes n as JSON, keys in the document's order.
func yJSON(w *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > yMaxDepth {
		return errors.New("the document nests too deeply")
	}
	if w.Len() > 4*MaxSpecSize {
		return errors.New("the document expands to more than the size limit")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			w.WriteString("null")
			return nil
		}
		return yJSON(w, n.Content[0], depth+1)
	case yaml.AliasNode:
		return yJSON(w, n.Alias, depth+1)
	case yaml.SequenceNode:
		w.WriteByte('[')
		for i, c := range n.Content {
			if i > 0 {
				w.WriteByte(',')
			}
			if err := yJSON(w, c, depth+1); err != nil {
				return err
			}
		}
		w.WriteByte(']')
		return nil
	case yaml.MappingNode:
		w.WriteByte('{')
		first := true
		var err error
		yEach(n, 0, func(k, v *yaml.Node) bool {
			if !first {
				w.WriteByte(',')
			}
			first = false
			yString(w, k.Value)
			w.WriteByte(':')
			err = yJSON(w, v, depth+1)
			return err == nil
		})
		if err != nil {
			return err
		}
		w.WriteByte('}')
		return nil
	case yaml.ScalarNode:
		yScalar(w, n)
		return nil
	}
	return fmt.Errorf("unexpected YAML node kind %d", n.Kind)
}

// yEach calls f with each key and value of a mapping, the entries of
// merge keys (<<) included, until f returns false.
func yEach(n *yaml.Node, depth int, f func(k, v *yaml.Node) bool) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" && depth < yMaxDepth {
			v = yDeref(v)
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = v.Content
			}
			for _, s := range srcs {
				if s = yDeref(s); s.Kind == yaml.MappingNode && !yEach(s, depth+1, f) {
					return false
				}
			}
			continue
		}
		if !f(k, v) {
			return false
		}
	}
	return true
}

func yScalar(w *bytes.Buffer, n *yaml.Node) {
	switch n.ShortTag() {
	case "!!null":
		w.WriteString("null")
		return
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			w.WriteString(strconv.FormatBool(b))
			return
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			w.WriteString(strconv.FormatInt(i, 10))
			return
		}
		var u uint64
		if n.Decode(&u) == nil {
			w.WriteString(strconv.FormatUint(u, 10))
			return
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			w.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
	}
	yString(w, n.Value)
}

func yString(w *bytes.Buffer, s string) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	w.Truncate(w.Len() - 1) // the encoder's newline
}

func yDeref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < yMaxDepth; i++ {
		n = n.Alias
	}
	return n
}

// yGet returns the value of key in mapping m, or nil.
func yGet(m *yaml.Node, key string) *yaml.Node {
	m = yDeref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out *yaml.Node
	yEach(m, 0, func(k, v *yaml.Node) bool {
		if k.Value == key {
			out = yDeref(v)
			return false
		}
		return true
	})
	return out
}

// ySet sets key of mapping m to v, in place when m has the key.
func ySet(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Tag != "!!merge" {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, yStr(key), v)
}

// yDelete removes key from mapping m.
func yDelete(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i].Tag != "!!merge" {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

func yStr(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func ySeq(items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items}
}

// yMap builds a mapping from alternating string keys and values.
func yMap(kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, yStr(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}
