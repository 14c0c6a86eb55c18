package catalog

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// parseDeadline bounds one import while fuzzing: the largest document
// accepted parses in well under a second, so a slower one is a hang (an
// alias or $ref expanding without end) worth reporting.
const parseDeadline = 10 * time.Second

// FuzzParse imports arbitrary documents: Parse must never panic or hang,
// and either refuse with a message for the uploader or return a spec that
// keeps its promises (every operation scoped by declared scopes, sorted),
// which the documentation and the console then render without panicking.
func FuzzParse(f *testing.F) {
	f.Add([]byte(validSpec))
	f.Add([]byte(`{"openapi":"3.0.3","info":{"title":"T","version":"1"},"components":{"securitySchemes":{"o":{"type":"oauth2","flows":{"clientCredentials":{"tokenUrl":"/t","scopes":{"a":"A"}}}}}},"security":[{"o":["a"]}],"paths":{"/x/{id}":{"get":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"integer"}}],"responses":{"200":{"description":"ok"}}}}}}`))
	f.Add([]byte(strings.Replace(validSpec, `security: [{portico: ["fleet:read"]}]`, `security: [{}]`, 1)))
	f.Add([]byte(strings.Replace(validSpec, "openapi: 3.1.0", "swagger: \"2.0\"", 1)))
	f.Add([]byte(validSpec + "  /x:\n    get:\n      responses: {\"200\": {$ref: \"other.yaml#/r\"}}\n"))
	f.Add([]byte(validSpec + "x-a: &a [*a]\n"))
	f.Add([]byte("a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nd: [*c, *c]\n"))
	f.Add([]byte(strings.Replace(validSpec, "Fleet API", `"Fleet\u0000API"`, 1)))
	f.Add([]byte(""))
	f.Add([]byte("[]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		type result struct {
			s   *Spec
			err error
		}
		done := make(chan result, 1)
		go func() {
			s, err := Parse(data)
			done <- result{s, err}
		}()
		var r result
		select {
		case r = <-done:
		case <-time.After(parseDeadline):
			t.Fatalf("Parse of %d bytes took more than %s", len(data), parseDeadline)
		}
		if r.err != nil {
			var se *SpecError
			if !errors.As(r.err, &se) || se.Message == "" {
				t.Fatalf("Parse refused with %T %q, want a *SpecError with a message", r.err, r.err)
			}
			if r.s != nil {
				t.Fatal("Parse returned a spec with its error")
			}
			return
		}
		s := r.s
		if len(data) > MaxSpecSize {
			t.Fatalf("accepted %d bytes, over MaxSpecSize", len(data))
		}
		if len(s.Operations) == 0 {
			t.Fatal("accepted a document without operations")
		}
		for i, op := range s.Operations {
			if len(op.Scopes) == 0 {
				t.Fatalf("operation %s requires no scope", op.Key())
			}
			for _, sc := range op.Scopes {
				if _, ok := s.Scopes[sc]; !ok {
					t.Fatalf("operation %s requires undeclared scope %q", op.Key(), sc)
				}
			}
			if !slices.IsSorted(op.Scopes) {
				t.Fatalf("operation %s: scopes %q not sorted", op.Key(), op.Scopes)
			}
			if op.Method != strings.ToUpper(op.Method) || !strings.HasPrefix(op.Path, "/") {
				t.Fatalf("operation %q %q", op.Method, op.Path)
			}
			if i > 0 && s.Operations[i-1].Path > op.Path {
				t.Fatalf("operations not sorted by path: %s before %s", s.Operations[i-1].Key(), op.Key())
			}
		}
		// What an import leads to: its documentation page and console.
		BuildDocs(s, data, DocTarget{Sandbox: "https://p.test/sandbox/x", Live: "https://p.test/live/x"})
		if _, err := ConsoleDocument(s, data, ConsoleView{Server: "https://p.test/sandbox/x", Held: map[string]bool{}}); err != nil && err.Error() == "" {
			t.Fatal("ConsoleDocument failed without a message")
		}
	})
}
