package sandbox

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// discard is a ResponseWriter that keeps nothing, so the benchmark
// measures the sandbox and not the recorder.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}

// BenchmarkListSpreaders is one Fleet list call (first page, default
// limit), route already matched as the gateway hands it over.
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
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		e.sb.Serve(w, req, in)
	}
}
