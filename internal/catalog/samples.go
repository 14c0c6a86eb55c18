package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// TokenVariable is the environment variable the code samples read the
// bearer token from: samples never contain a credential.
const TokenVariable = "PORTICO_TOKEN"

// CodeSample is one way of calling an operation, ready to copy.
type CodeSample struct {
	// Lang is a short key: curl, go, python or javascript.
	Lang  string
	Label string
	Code  string
}

// SampleRequest is the call the samples make.
type SampleRequest struct {
	Method string
	// URL is absolute, with example path parameters and required query
	// parameters filled in.
	URL string
	// Body is the JSON body, nil when the operation takes none.
	Body any
}

// Samples returns the call in curl, Go (net/http), Python (requests) and
// JavaScript (fetch), each sending the token from TokenVariable.
func Samples(r SampleRequest) []CodeSample {
	r.Method = strings.ToUpper(r.Method)
	return []CodeSample{
		{Lang: "curl", Label: "curl", Code: curlSample(r)},
		{Lang: "go", Label: "Go", Code: goSample(r)},
		{Lang: "python", Label: "Python", Code: pythonSample(r)},
		{Lang: "javascript", Label: "JavaScript", Code: jsSample(r)},
	}
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func curlSample(r SampleRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "curl --request %s \\\n  --url %s \\\n  --header \"Authorization: Bearer $%s\"", r.Method, shellQuote(r.URL), TokenVariable)
	if r.Body != nil {
		b.WriteString(" \\\n  --header 'Content-Type: application/json' \\\n  --data " + shellQuote(JSON(r.Body, "  ")))
	}
	return b.String()
}

// goMethods names net/http's constants for the methods.
var goMethods = map[string]string{
	http.MethodGet: "MethodGet", http.MethodPost: "MethodPost", http.MethodPut: "MethodPut",
	http.MethodPatch: "MethodPatch", http.MethodDelete: "MethodDelete", http.MethodHead: "MethodHead",
	http.MethodOptions: "MethodOptions",
}

func goSample(r SampleRequest) string {
	method := strconv.Quote(r.Method)
	if c, ok := goMethods[r.Method]; ok {
		method = "http." + c
	}
	var b strings.Builder
	b.WriteString("package main\n\nimport (\n\t\"fmt\"\n\t\"io\"\n\t\"log\"\n\t\"net/http\"\n\t\"os\"\n")
	if r.Body != nil {
		b.WriteString("\t\"strings\"\n")
	}
	b.WriteString(")\n\nfunc main() {\n")
	body := "nil"
	if r.Body != nil {
		js := JSON(r.Body, "\t")
		lit := "`" + strings.ReplaceAll(js, "\n", "\n\t") + "`"
		if strings.Contains(js, "`") {
			lit = strconv.Quote(js)
		}
		b.WriteString("\tbody := strings.NewReader(" + lit + ")\n")
		body = "body"
	}
	fmt.Fprintf(&b, "\treq, err := http.NewRequest(%s, %s, %s)\n", method, strconv.Quote(r.URL), body)
	b.WriteString("\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n")
	fmt.Fprintf(&b, "\treq.Header.Set(\"Authorization\", \"Bearer \"+os.Getenv(%q))\n", TokenVariable)
	if r.Body != nil {
		b.WriteString("\treq.Header.Set(\"Content-Type\", \"application/json\")\n")
	}
	b.WriteString("\tresp, err := http.DefaultClient.Do(req)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n\tdefer resp.Body.Close()\n")
	b.WriteString("\tout, err := io.ReadAll(resp.Body)\n\tif err != nil {\n\t\tlog.Fatal(err)\n\t}\n")
	b.WriteString("\tfmt.Println(resp.Status)\n\tfmt.Println(string(out))\n}\n")
	return b.String()
}

func pythonSample(r SampleRequest) string {
	var b strings.Builder
	b.WriteString("import os\n\nimport requests\n\n")
	fmt.Fprintf(&b, "response = requests.request(\n    %s,\n    %s,\n", pyString(r.Method), pyString(r.URL))
	fmt.Fprintf(&b, "    headers={\"Authorization\": \"Bearer \" + os.environ[%s]},\n", pyString(TokenVariable))
	if r.Body != nil {
		b.WriteString("    json=" + pyValue(r.Body, "    ") + ",\n")
	}
	b.WriteString("    timeout=30,\n)\nprint(response.status_code)\nprint(response.text)\n")
	return b.String()
}

func jsSample(r SampleRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "const response = await fetch(%s, {\n  method: %s,\n  headers: {\n", jsonString(r.URL), jsonString(r.Method))
	fmt.Fprintf(&b, "    Authorization: `Bearer ${process.env.%s}`,\n", TokenVariable)
	if r.Body != nil {
		b.WriteString("    \"Content-Type\": \"application/json\",\n  },\n")
		b.WriteString("  body: JSON.stringify(" + strings.ReplaceAll(JSON(r.Body, "  "), "\n", "\n  ") + "),\n")
	} else {
		b.WriteString("  },\n")
	}
	b.WriteString("});\nconsole.log(response.status);\nconsole.log(await response.text());\n")
	return b.String()
}

// Object is a JSON object whose keys keep an order (the schema's, where
// known), so examples read like the document that describes them.
type Object struct {
	Keys   []string
	Values map[string]any
}

// Set adds or replaces key.
func (o *Object) Set(key string, v any) {
	if o.Values == nil {
		o.Values = map[string]any{}
	}
	if _, ok := o.Values[key]; !ok {
		o.Keys = append(o.Keys, key)
	}
	o.Values[key] = v
}

// ordered turns decoded JSON (maps in no order) into values whose objects
// are *Object, keys sorted.
func ordered(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := &Object{}
		for _, k := range keys {
			o.Set(k, ordered(x[k]))
		}
		return o
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = ordered(e)
		}
		return out
	}
	return v
}

// jsonString encodes a string as JSON, without escaping HTML characters.
func jsonString(s string) string { return jsonScalar(s) }

func jsonScalar(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "null"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// JSON writes v as indented JSON, objects in their order (plain maps are
// written with sorted keys). indent is the unit of indentation.
func JSON(v any, indent string) string {
	var b strings.Builder
	writeValue(&b, v, indent, "", jsonScalar, "null", ": ")
	return b.String()
}

// Compact writes v as JSON on one line.
func Compact(v any) string {
	var b strings.Builder
	writeValue(&b, v, "", "", jsonScalar, "null", ": ")
	return b.String()
}

func pyString(s string) string { return jsonScalar(s) }

func pyScalar(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case nil:
		return "None"
	}
	return jsonScalar(v)
}

// pyValue writes v as a Python literal, continuing lines at prefix.
func pyValue(v any, prefix string) string {
	var b strings.Builder
	writeValue(&b, v, "    ", prefix, pyScalar, "None", ": ")
	return b.String()
}

// writeValue writes JSON-like nested values; Python's dict and list
// literals share the syntax, with their own scalars.
func writeValue(b *strings.Builder, v any, indent, prefix string, scalar func(any) string, null, colon string) {
	nl := "\n"
	if indent == "" {
		nl, colon = "", ": "
	}
	switch x := v.(type) {
	case map[string]any:
		writeValue(b, ordered(x), indent, prefix, scalar, null, colon)
	case *Object:
		if len(x.Keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{" + nl)
		for i, k := range x.Keys {
			b.WriteString(prefix + indent + jsonScalar(k) + colon)
			writeValue(b, x.Values[k], indent, prefix+indent, scalar, null, colon)
			if i < len(x.Keys)-1 {
				b.WriteString(",")
				if nl == "" {
					b.WriteString(" ")
				}
			}
			b.WriteString(nl)
		}
		b.WriteString(prefix + "}")
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[" + nl)
		for i, e := range x {
			b.WriteString(prefix + indent)
			writeValue(b, e, indent, prefix+indent, scalar, null, colon)
			if i < len(x)-1 {
				b.WriteString(",")
				if nl == "" {
					b.WriteString(" ")
				}
			}
			b.WriteString(nl)
		}
		b.WriteString(prefix + "]")
	case nil:
		b.WriteString(null)
	default:
		b.WriteString(scalar(x))
	}
}
