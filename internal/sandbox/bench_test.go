package sandbox

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark
// measures the sandbox and not the recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkListSpreaders is one Fleet list call (first page, default
// limit), route already matched as the gateway hands it over: remembered
// (the answer of every call but the first), generated (nothing
// remembered), and a bare handler writing the same bytes and headers.
func BenchmarkListSpreaders(b *testing.B) {
	e := newEnv(b, fixedNow)
	partnerID := e.partner(b)
	fleet := sample(b, "fleet")
	req := httptest.NewRequest(http.MethodGet, "/sandbox/fleet/spreaders?status=in_service", nil)
	route, params, err := fleet.router.FindRoute(req)
	if err != nil {
		b.Fatal(err)
	}
	in := Request{PartnerID: partnerID, API: "fleet", Spec: fleet.doc, Route: route, PathParams: params}
	first := httptest.NewRecorder()
	e.sb.Serve(first, req, in)
	body := first.Body.Bytes()
	generated := New(e.st)
	generated.now, generated.answers = e.sb.now, nil
	for _, c := range []struct {
		name  string
		serve func(w http.ResponseWriter)
	}{
		{"remembered", func(w http.ResponseWriter) { e.sb.Serve(w, req, in) }},
		{"generated", func(w http.ResponseWriter) { generated.Serve(w, req, in) }},
		{"bare", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				clear(w.h)
				c.serve(w)
			}
		})
	}
}
