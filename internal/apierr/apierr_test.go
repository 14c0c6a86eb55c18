package apierr_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/apierr"
)

// TestWrite: the status, the Content-Type, headers set before kept, and a
// body that decodes into the portal.yaml shape carrying the request id.
func TestWrite(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	rec.Header().Set("Cache-Control", "no-store")
	apierr.Write(rec, http.StatusNotFound, apierr.Detail{Code: "not_found", Message: "The team was not found.", RequestID: "rid-42"})

	if rec.Code != http.StatusNotFound {
		t.Errorf("status = %d, want 404", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q: a header the caller set was lost", got)
	}
	want := `{"error":{"code":"not_found","message":"The team was not found.","request_id":"rid-42"}}` + "\n"
	if got := rec.Body.String(); got != want {
		t.Errorf("body = %q, want %q", got, want)
	}
	var decoded map[string]map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &decoded); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if diff := cmp.Diff(map[string]map[string]string{"error": {"code": "not_found", "message": "The team was not found.", "request_id": "rid-42"}}, decoded); diff != "" {
		t.Errorf("decoded body (-want +got):\n%s", diff)
	}
}

// TestAppendJSONAsEncodingJSON: the hand-written encoder makes exactly the
// bytes encoding/json makes, for text that needs every kind of escape.
// Messages quote what callers sent (paths, slugs), so any string can occur.
func TestAppendJSONAsEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range appendSeeds {
		t.Run(fmt.Sprintf("%q", s), func(t *testing.T) {
			t.Parallel()
			checkAsEncodingJSON(t, apierr.Body{Error: apierr.Detail{Code: "invalid_request", Message: s, RequestID: s}})
		})
	}
}

var appendSeeds = []string{
	"",
	"plain ASCII text.",
	`quotes " and backslashes \ and a slash /`,
	"control \x00\x01\x07\b\f\n\r\t\x1f\x7f characters",
	"<script>alert(1)</script> & more",
	"Bearer ptc_… ünïcödé 🚢",
	"invalid UTF-8 \xff\xfe and a cut rune \xe2\x80",
	"line and paragraph separators \u2028 \u2029",
	"There is no API \"fl\\x00eet\" granted to you.",
}

// FuzzAppendJSON compares the encoder with encoding/json on any text.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range appendSeeds {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, code, msg string) {
		checkAsEncodingJSON(t, apierr.Body{Error: apierr.Detail{Code: code, Message: msg, RequestID: msg + code}})
	})
}

func checkAsEncodingJSON(t *testing.T, b apierr.Body) {
	t.Helper()
	want, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.AppendJSON(nil); string(got) != string(want) {
		t.Errorf("AppendJSON = %s\nencoding/json = %s", got, want)
	}
	rec := httptest.NewRecorder()
	apierr.Write(rec, http.StatusBadRequest, b.Error)
	if got := rec.Body.String(); got != string(want)+"\n" {
		t.Errorf("Write wrote %q, want %q", got, string(want)+"\n")
	}
}

// TestFieldError: the error names the field, and handlers find it through
// any wrapping.
func TestFieldError(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("create team: %w", &apierr.FieldError{Field: "name", Message: "Enter a team name."})
	if got, want := err.Error(), "create team: name: Enter a team name."; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var fe *apierr.FieldError
	if !errors.As(err, &fe) || fe.Field != "name" || fe.Message != "Enter a team name." {
		t.Errorf("errors.As found %+v, want the field error on name", fe)
	}
}

// BenchmarkWrite is one error answer onto a writer that keeps nothing.
func BenchmarkWrite(b *testing.B) {
	w := &nullWriter{h: http.Header{}}
	d := apierr.Detail{Code: "not_found", Message: "No operation of this API matches /no-such-operation.", RequestID: "0b6f5a3e-9c1d-4f2a-8e7b-1d2c3b4a5f60"}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		apierr.Write(w, http.StatusNotFound, d)
	}
}

type nullWriter struct{ h http.Header }

func (n *nullWriter) Header() http.Header         { return n.h }
func (n *nullWriter) Write(b []byte) (int, error) { return len(b), nil }
func (n *nullWriter) WriteHeader(int)             {}
