package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/openapi/samples"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// api is a parsed spec and a router over it.
type api struct {
	slug   string
	doc    *openapi3.T
	router routers.Router
}

var (
	samplesOnce sync.Once
	sampleAPIs  map[string]*api
	samplesErr  error
)

// sample returns a sample API, parsed as the catalog parses it.
func sample(t testing.TB, slug string) *api {
	t.Helper()
	samplesOnce.Do(func() {
		sampleAPIs = map[string]*api{}
		for _, slug := range []string{"fleet", "telemetry", "maintenance"} {
			data, err := samples.FS.ReadFile(slug + ".yaml")
			if err != nil {
				samplesErr = err
				return
			}
			a, err := parseAPI(slug, data)
			if err != nil {
				samplesErr = err
				return
			}
			sampleAPIs[slug] = a
		}
	})
	if samplesErr != nil {
		t.Fatal(samplesErr)
	}
	return sampleAPIs[slug]
}

func parseAPI(slug string, data []byte) (*api, error) {
	spec, err := catalog.Parse(data)
	if err != nil {
		return nil, err
	}
	router, err := gorillamux.NewRouter(spec.Doc)
	if err != nil {
		return nil, err
	}
	return &api{slug: slug, doc: spec.Doc, router: router}, nil
}

// env is a sandbox over a fresh database, with a fixed clock.
type env struct {
	st  *store.Store
	sb  *Sandbox
	now time.Time
}

var fixedNow = time.Date(2026, 3, 18, 9, 41, 7, 0, time.UTC)

func newEnv(t testing.TB, now time.Time) *env {
	t.Helper()
	st := pgtest.Store(t)
	sb := New(st)
	sb.now = func() time.Time { return now }
	return &env{st: st, sb: sb, now: now}
}

var partnerSeq atomic.Int64

// partner creates a partner and returns its id.
func (e *env) partner(t testing.TB) int64 {
	t.Helper()
	n := partnerSeq.Add(1)
	p, err := e.st.CreatePartner(context.Background(), fmt.Sprintf("Partner %d", n), fmt.Sprintf("partner-%d", n))
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// result is an answer of the sandbox.
type result struct {
	status int
	header http.Header
	body   []byte
}

func (r result) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
}

const testRequestID = "req-sandbox-test"

// call sends one request through the router, validates it against the
// spec as the gateway does, serves it, and checks the answer against the
// spec's responses (undeclared statuses included).
func (e *env) call(t testing.TB, a *api, partnerID int64, method, target, body string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, "/sandbox/"+a.slug+target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	route, params, err := a.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no route: %v", method, target, err)
	}
	ctx := context.Background()
	in := &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		t.Fatalf("%s %s: the request is invalid: %v", method, target, err)
	}
	rec := httptest.NewRecorder()
	rec.Header().Set("X-Request-Id", testRequestID)
	e.sb.Serve(rec, req, Request{PartnerID: partnerID, API: a.slug, Spec: a.doc, Route: route, PathParams: params})
	res := result{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: res.status, Header: res.header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(res.body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		t.Errorf("%s %s = %d: the answer does not match the spec: %v\n%s", method, target, res.status, err, res.body)
	}
	return res
}

// ops lists "operationId" of every operation of a spec.
func ops(doc *openapi3.T) []string {
	var out []string
	for _, p := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(p).Operations() {
			out = append(out, op.OperationID)
		}
	}
	sort.Strings(out)
	return out
}

type sampleCase struct {
	api, op      string
	method, path string
	body         string
	status       int
}

// sampleCases calls every operation of the three sample APIs, with their
// filters, windows, pagination and error answers.
func sampleCases(t *testing.T, partnerID, other int64, now time.Time) []sampleCase {
	w := newWorld(partnerID, now)
	fleet := w.spreaders()
	working := fleet[w.inService()[0]]
	var idle spreader
	for _, s := range fleet {
		if s.Status == "decommissioned" {
			idle = s
		}
	}
	foreignSpreader := spreaderIDs.id(other, 0)
	k := alarmIndex(now) - 1
	a := w.alarm(k)
	var otherSpreader string
	for _, i := range w.inService() {
		if i != a.spreader {
			otherSpreader = fleet[i].ID
		}
	}
	gen := w.generatedWorkOrders()
	day := now.Add(-24 * time.Hour).Truncate(time.Hour)
	q := func(t time.Time) string { return t.Format(time.RFC3339) }
	cs := []sampleCase{
		{"fleet", "listSpreaders", "GET", "/spreaders", "", 200},
		{"fleet", "listSpreaders", "GET", "/spreaders?limit=3", "", 200},
		{"fleet", "listSpreaders", "GET", "/spreaders?status=in_service&model=TT-50", "", 200},
		{"fleet", "listSpreaders", "GET", "/spreaders?site=" + working.Site, "", 200},
		{"fleet", "listSpreaders", "GET", "/spreaders?site=ZZZZZ-Q", "", 200},
		{"fleet", "getSpreader", "GET", "/spreaders/" + working.ID, "", 200},
		{"fleet", "getSpreader", "GET", "/spreaders/" + foreignSpreader, "", 404},
		{"fleet", "getSpreaderStatus", "GET", "/spreaders/" + foreignSpreader + "/status", "", 404},
		{"telemetry", "listLiftCycles", "GET", "/spreaders/" + working.ID + "/lift-cycles", "", 200},
		{"telemetry", "listLiftCycles", "GET", "/spreaders/" + working.ID + "/lift-cycles?limit=5&from=" + q(day) + "&to=" + q(day.Add(2*time.Hour)), "", 200},
		{"telemetry", "listLiftCycles", "GET", "/spreaders/" + idle.ID + "/lift-cycles", "", 200},
		{"telemetry", "listLiftCycles", "GET", "/spreaders/" + foreignSpreader + "/lift-cycles", "", 404},
		{"telemetry", "listLiftCycles", "GET", "/spreaders/" + working.ID + "/lift-cycles?from=" + q(day) + "&to=" + q(day.Add(-time.Hour)), "", 400},
		{"telemetry", "listLiftCycles", "GET", "/spreaders/" + working.ID + "/lift-cycles?from=" + q(day.AddDate(0, 0, -45)) + "&to=" + q(day), "", 400},
		{"telemetry", "listAlarms", "GET", "/alarms", "", 200},
		{"telemetry", "listAlarms", "GET", "/alarms?severity=critical&limit=200&from=" + q(now.AddDate(0, 0, -31)) + "&to=" + q(now), "", 200},
		{"telemetry", "listAlarms", "GET", "/alarms?spreader=" + working.ID, "", 200},
		{"telemetry", "listAlarms", "GET", "/alarms?spreader=" + foreignSpreader, "", 200},
		{"telemetry", "getAlarm", "GET", "/alarms/" + a.ID, "", 200},
		{"telemetry", "getAlarm", "GET", "/alarms/" + alarmIDs.id(other, uint64(k)), "", 404},
		{"telemetry", "getSeries", "GET", "/spreaders/" + foreignSpreader + "/series/load_kg?from=" + q(day) + "&to=" + q(now), "", 404},
		{"telemetry", "getSeries", "GET", "/spreaders/" + working.ID + "/series/load_kg?from=" + q(day) + "&to=" + q(day.Add(time.Hour)) + "&step=1m&limit=10", "", 200},
		{"telemetry", "getSeries", "GET", "/spreaders/" + idle.ID + "/series/motor_temp_c?from=" + q(day) + "&to=" + q(now), "", 200},
		{"telemetry", "getSeries", "GET", "/spreaders/" + working.ID + "/series/hydraulic_pressure_bar?from=" + q(now.AddDate(0, 0, -31)) + "&to=" + q(now) + "&step=1h&limit=1440", "", 200},
		{"maintenance", "listWorkOrders", "GET", "/work-orders", "", 200},
		{"maintenance", "listWorkOrders", "GET", "/work-orders?status=open&limit=1", "", 200},
		{"maintenance", "listWorkOrders", "GET", "/work-orders?priority=urgent&spreader=" + gen[0].SpreaderID, "", 200},
		{"maintenance", "getWorkOrder", "GET", "/work-orders/" + gen[2].ID, "", 200},
		{"maintenance", "getWorkOrder", "GET", "/work-orders/" + workOrderIDs.id(other, 0), "", 404},
		{"maintenance", "createWorkOrder", "POST", "/work-orders", `{"spreader_id":"` + working.ID + `","title":"Check the headblock","type":"inspection"}`, 201},
		{"maintenance", "createWorkOrder", "POST", "/work-orders", `{"spreader_id":"` + fleet[a.spreader].ID + `","title":"Replace twistlock sensor","type":"corrective","priority":"urgent","alarm_id":"` + a.ID + `","description":"Stopped.","assignee":"Workshop T2","due_on":"` + now.AddDate(0, 0, 3).Format(time.DateOnly) + `"}`, 201},
		{"maintenance", "createWorkOrder", "POST", "/work-orders", `{"spreader_id":"` + foreignSpreader + `","title":"Not mine at all","type":"inspection"}`, 422},
		{"maintenance", "createWorkOrder", "POST", "/work-orders", `{"spreader_id":"` + otherSpreader + `","title":"Wrong alarm here","type":"corrective","alarm_id":"` + a.ID + `"}`, 422},
		{"maintenance", "createWorkOrder", "POST", "/work-orders", `{"spreader_id":"` + working.ID + `","title":"Too late for this","type":"preventive","due_on":"2020-01-01"}`, 422},
		{"maintenance", "updateWorkOrderStatus", "PATCH", "/work-orders/" + gen[0].ID + "/status", `{"status":"in_progress","note":"On it."}`, 200},
		{"maintenance", "updateWorkOrderStatus", "PATCH", "/work-orders/" + gen[0].ID + "/status", `{"status":"in_progress"}`, 200},
		{"maintenance", "updateWorkOrderStatus", "PATCH", "/work-orders/" + gen[0].ID + "/status", `{"status":"done"}`, 200},
		{"maintenance", "updateWorkOrderStatus", "PATCH", "/work-orders/" + gen[0].ID + "/status", `{"status":"cancelled"}`, 409},
		{"maintenance", "updateWorkOrderStatus", "PATCH", "/work-orders/" + workOrderIDs.id(other, 1) + "/status", `{"status":"done"}`, 404},
	}
	for _, s := range fleet {
		cs = append(cs, sampleCase{"fleet", "getSpreaderStatus", "GET", "/spreaders/" + s.ID + "/status", "", 200})
	}
	for name := range metrics {
		for step := range steps {
			cs = append(cs, sampleCase{"telemetry", "getSeries", "GET", "/spreaders/" + working.ID + "/series/" + name + "?from=" + q(day) + "&to=" + q(now) + "&step=" + step + "&limit=50", "", 200})
		}
	}
	return cs
}

func TestSampleOperationsMatchTheirSpecs(t *testing.T) {
	t.Parallel()
	for _, clock := range []struct {
		name string
		now  time.Time
	}{{"fixed clock", fixedNow}, {"now", time.Now().UTC()}} {
		t.Run(clock.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, clock.now)
			partnerID, other := e.partner(t), e.partner(t)
			covered := map[string]map[string]bool{}
			for _, tc := range sampleCases(t, partnerID, other, clock.now) {
				res := e.call(t, sample(t, tc.api), partnerID, tc.method, tc.path, tc.body)
				if res.status != tc.status {
					t.Errorf("%s %s %s = %d, want %d: %s", tc.api, tc.method, tc.path, res.status, tc.status, res.body)
				}
				if res.status >= 400 {
					var eb apierr.Body
					res.decode(t, &eb)
					if eb.Error.RequestID != testRequestID || eb.Error.Code == "" || eb.Error.Message == "" {
						t.Errorf("%s %s: error %+v lacks a code, a message or the request id", tc.method, tc.path, eb.Error)
					}
				}
				if covered[tc.api] == nil {
					covered[tc.api] = map[string]bool{}
				}
				covered[tc.api][tc.op] = true
			}
			for _, slug := range []string{"fleet", "telemetry", "maintenance"} {
				if diff := cmp.Diff(ops(sample(t, slug).doc), sortedKeys(covered[slug])); diff != "" {
					t.Errorf("%s operations not called (-spec +called):\n%s", slug, diff)
				}
			}
		})
	}
}
