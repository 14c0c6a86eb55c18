// Package catalog knows the APIs Portico opens to partners: it parses and
// checks their OpenAPI documents, extracts their operations and scopes, and
// compares revisions. It has no HTTP in it.
package catalog

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/portico/portico/internal/textcheck"
)

// MaxSpecSize is the largest OpenAPI document accepted, in bytes.
const MaxSpecSize = 2 << 20

// Bounds of what a document may declare, so that every list and name the
// catalog later serves (openapi/portal.yaml states them) has a limit of
// its own rather than only the document's size. Generous: the largest
// public APIs declare far fewer scopes and operations.
const (
	// MaxScopes is the most OAuth2 scopes a document may declare, and the
	// most scopes a token or an access group's API may be given.
	MaxScopes = 1000
	// MaxScopeName is the longest scope name, in characters.
	MaxScopeName = 200
	// MaxOperations is the most operations a document may have.
	MaxOperations = 5000
	// MaxVersion is the longest info.version, in characters.
	MaxVersion = 100
)

// Operation is one operation of an API and the scope it requires.
type Operation struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	OperationID string `json:"operation_id"`
	Summary     string `json:"summary"`
	// Scopes lists the scopes of which the caller needs at least one.
	Scopes []string `json:"scopes"`
}

// Key identifies an operation across revisions.
func (o Operation) Key() string { return o.Method + " " + o.Path }

// Spec is a parsed, checked OpenAPI document.
type Spec struct {
	Doc     *openapi3.T
	Title   string
	Version string
	// Scopes are every scope the document's OAuth2 schemes declare, with
	// their descriptions.
	Scopes map[string]string
	// Operations are sorted by path, then method.
	Operations []Operation
}

// SpecError is a document that was refused, with a message for the person
// who uploaded it.
type SpecError struct{ Message string }

func (e *SpecError) Error() string { return e.Message }

func refuse(format string, args ...any) error {
	return &SpecError{Message: fmt.Sprintf(format, args...)}
}

// Parse parses and checks an OpenAPI 3.0/3.1 document: it must be valid,
// self-contained (no external $ref), within MaxSpecSize, and every
// operation must require a declared OAuth2 scope, so no endpoint is ever
// reachable without one.
func Parse(data []byte) (*Spec, error) {
	if len(data) == 0 {
		return nil, refuse("The document is empty.")
	}
	if len(data) > MaxSpecSize {
		return nil, refuse("The document is %d KiB; the limit is %d KiB. Split it into several APIs, or remove unused components.", len(data)>>10, MaxSpecSize>>10)
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(data)
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "external") || strings.Contains(msg, "remote reference") {
			return nil, refuse("The document refers to another file or URL ($ref). Bundle it into one self-contained document first: %s", msg)
		}
		return nil, refuse("The document could not be parsed: %s", msg)
	}
	if doc.OpenAPI == "" || !(strings.HasPrefix(doc.OpenAPI, "3.0") || strings.HasPrefix(doc.OpenAPI, "3.1")) {
		return nil, refuse("Only OpenAPI 3.0 and 3.1 documents are accepted (this one says openapi: %q).", doc.OpenAPI)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, refuse("The document is not valid OpenAPI: %s", err)
	}
	s := &Spec{Doc: doc, Scopes: map[string]string{}}
	if doc.Info != nil {
		s.Title, s.Version = doc.Info.Title, doc.Info.Version
	}
	oauth := map[string]bool{}
	if doc.Components != nil {
		for name, ref := range doc.Components.SecuritySchemes {
			if ref == nil || ref.Value == nil || ref.Value.Type != "oauth2" || ref.Value.Flows == nil {
				continue
			}
			oauth[name] = true
			f := ref.Value.Flows
			for _, flow := range []*openapi3.OAuthFlow{f.ClientCredentials, f.AuthorizationCode, f.Implicit, f.Password} {
				if flow == nil {
					continue
				}
				for sc, desc := range flow.Scopes {
					s.Scopes[sc] = desc
				}
			}
		}
	}
	if len(s.Scopes) > MaxScopes {
		return nil, refuse("The document declares %d OAuth2 scopes; the limit is %d.", len(s.Scopes), MaxScopes)
	}
	for sc := range s.Scopes {
		if utf8.RuneCountInString(sc) > MaxScopeName {
			return nil, refuse("The OAuth2 scope %q… is longer than %d characters.", string([]rune(sc)[:40]), MaxScopeName)
		}
	}
	if utf8.RuneCountInString(s.Version) > MaxVersion {
		return nil, refuse("The document's info.version is longer than %d characters.", MaxVersion)
	}
	if len(oauth) == 0 {
		return nil, refuse("The document declares no OAuth2 security scheme with scopes (components.securitySchemes). Portico grants access per scope, so every API needs one.")
	}
	var unscoped []string
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			reqs := doc.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			scopes, err := operationScopes(reqs, oauth, s.Scopes)
			name := strings.ToUpper(method) + " " + path
			if op.OperationID != "" {
				name += " (" + op.OperationID + ")"
			}
			if err != nil {
				return nil, refuse("Operation %s: %s", name, err)
			}
			if len(scopes) == 0 {
				unscoped = append(unscoped, name)
				continue
			}
			s.Operations = append(s.Operations, Operation{Method: strings.ToUpper(method), Path: path, OperationID: op.OperationID, Summary: op.Summary, Scopes: scopes})
		}
	}
	if len(unscoped) > 0 {
		sort.Strings(unscoped)
		return nil, refuse("Every operation must require a scope, so that no endpoint is reachable without one. These declare none: %s.", strings.Join(unscoped, ", "))
	}
	if len(s.Operations) == 0 {
		return nil, refuse("The document has no operations.")
	}
	if len(s.Operations) > MaxOperations {
		return nil, refuse("The document has %d operations; the limit is %d. Split it into several APIs.", len(s.Operations), MaxOperations)
	}
	sort.Slice(s.Operations, func(i, j int) bool {
		a, b := s.Operations[i], s.Operations[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return methodRank(a.Method) < methodRank(b.Method)
	})
	if err := checkText(s); err != nil {
		return nil, err
	}
	return s, nil
}

// checkText refuses a document whose text PostgreSQL would refuse where it
// is stored (operations as jsonb, scopes as text): YAML's "\0" and JSON's
// "\u0000" escapes decode to a NUL character.
func checkText(s *Spec) error {
	for what, v := range map[string]string{"title": s.Title, "version": s.Version} {
		if p := textcheck.Line(v); p != "" {
			return refuse("The document's info.%s %s", what, p)
		}
	}
	if path, p := textcheck.Decoded(s.Scopes); p != "" {
		return refuse("The document's OAuth2 scopes: %s %s", path, p)
	}
	for _, op := range s.Operations {
		if path, p := textcheck.Decoded(op); p != "" {
			return refuse("Operation %s %q: its %s %s", op.Method, op.Path, path, p)
		}
	}
	return nil
}

// operationScopes returns the scopes an operation's security requirements
// name on OAuth2 schemes; an empty requirement ({}) makes the operation
// public, which Portico refuses.
func operationScopes(reqs openapi3.SecurityRequirements, oauth map[string]bool, declared map[string]string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, req := range reqs {
		if len(req) == 0 {
			return nil, errors.New("it allows anonymous access (an empty security requirement {}); remove it")
		}
		for scheme, scopes := range req {
			if !oauth[scheme] {
				continue
			}
			for _, sc := range scopes {
				if _, ok := declared[sc]; !ok {
					return nil, fmt.Errorf("it requires scope %q, which no OAuth2 flow declares", sc)
				}
				if !seen[sc] {
					seen[sc] = true
					out = append(out, sc)
				}
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func methodRank(m string) int {
	for i, x := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == x {
			return i
		}
	}
	return 9
}

// Diff summarises what a new revision changes: operations added and
// removed, by "METHOD /path".
func Diff(old, new []Operation) (added, removed []string) {
	had := map[string]bool{}
	for _, o := range old {
		had[o.Key()] = true
	}
	has := map[string]bool{}
	for _, o := range new {
		has[o.Key()] = true
		if !had[o.Key()] {
			added = append(added, o.Key())
		}
	}
	for _, o := range old {
		if !has[o.Key()] {
			removed = append(removed, o.Key())
		}
	}
	return added, removed
}

func sortStrings(xs []string) { sort.Strings(xs) }
