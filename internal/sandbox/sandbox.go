// Package sandbox is the built-in backend of every catalog API's sandbox:
// /sandbox/{api}/... once the gateway has authenticated the caller, matched
// the operation and validated the request.
//
// The three sample APIs have hand-written backends over synthetic data
// that is a pure function of the partner's id (and, for telemetry, of
// time on a fixed grid): the same partner sees the same spreaders, alarms
// and lift cycles every time, and two partners never see the same ids.
// Maintenance work orders are writable; what a partner writes is stored
// per partner in PostgreSQL (sandbox_work_orders) and Reset deletes it.
// Every other API gets answers generated from its spec: the success
// response's examples when it has some, otherwise a value built from the
// response schema, deterministic per partner and request.
//
// Ids follow the sample specs' patterns (SPR-0042, ALM-004211,
// WO-000317, LC-0004182233), so they cannot be long hashes: each id space
// is cut into 1000 partner slots (partner id modulo 1000), each slot's
// numbers shuffled by a keyed permutation. Partners whose ids differ by
// less than 1000 therefore never share an id, and an id says which slot
// it belongs to, so another partner's id answers 404 without a lookup.
package sandbox

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
)

// Request is one sandbox call the gateway already authenticated, matched
// and validated.
type Request struct {
	PartnerID int64
	// API is the API's slug: fleet, telemetry, maintenance, or any
	// imported one.
	API string
	// Spec is the API's current document.
	Spec *openapi3.T
	// Route is the matched route (Route.Operation, Route.Path,
	// Route.Method).
	Route *routers.Route
	// PathParams are read only: the gateway shares them between calls of
	// the same path.
	PathParams map[string]string
}

// Sandbox serves the sandbox backends.
type Sandbox struct {
	st  *store.Store
	now func() time.Time
	// answers remembers the answers no write, reset or clock changes
	// (cache.go); nil remembers nothing.
	answers *answers
}

// New returns the sandbox over st, where partners' writes are kept. st
// may be bound to a transaction (store.InTx), so Reset joins it.
func New(st *store.Store) *Sandbox {
	return &Sandbox{st: st, now: time.Now, answers: newAnswers()}
}

// Reset deletes a partner's persisted sandbox writes, so its data is back
// to the generated state.
func (s *Sandbox) Reset(ctx context.Context, partnerID int64) error {
	return s.st.InTx(ctx, func(tx *store.Store) error {
		_, err := tx.ResetSandbox(ctx, partnerID)
		return err
	})
}

// call is one request being served.
type call struct {
	s     *Sandbox
	w     http.ResponseWriter
	r     *http.Request
	req   Request
	now   time.Time
	world *world
	query url.Values
	// rec, when not nil, records the answer to remember it.
	rec *recording
}

type operation func(c *call)

// builtins are the hand-written backends, by API slug and operationId.
// An operation they do not know (a newer revision of a sample API) is
// generated from the spec like any imported API's.
var builtins = map[string]map[string]operation{
	"fleet": {
		"listSpreaders":     listSpreaders,
		"getSpreader":       getSpreader,
		"getSpreaderStatus": getSpreaderStatus,
	},
	"telemetry": {
		"listLiftCycles": listLiftCycles,
		"listAlarms":     listAlarms,
		"getAlarm":       getAlarm,
		"getSeries":      getSeries,
	},
	"maintenance": {
		"listWorkOrders":        listWorkOrders,
		"getWorkOrder":          getWorkOrder,
		"createWorkOrder":       createWorkOrder,
		"updateWorkOrderStatus": updateWorkOrderStatus,
	},
}

// Serve writes the response of one call (status, JSON body,
// Content-Type). Unknown ids answer 404 with the gateway's JSON error
// shape, carrying the X-Request-Id already set on w.
func (s *Sandbox) Serve(w http.ResponseWriter, r *http.Request, req Request) {
	var op operation
	var k answerKey
	if req.Route != nil && req.Route.Operation != nil {
		op = builtins[req.API][req.Route.Operation.OperationID]
		if s.answers != nil && (op == nil || pureBuiltins[req.API][req.Route.Operation.OperationID]) {
			k = answerKey{partnerID: req.PartnerID, op: req.Route.Operation, api: req.API, method: r.Method, path: r.URL.Path, query: r.URL.RawQuery}
			if a := s.answers.get(&k); a != nil {
				a.write(w)
				return
			}
		}
	}
	now := s.now().UTC()
	c := &call{s: s, w: w, r: r, req: req, now: now, world: newWorld(req.PartnerID, now), query: r.URL.Query()}
	if k.op != nil {
		c.rec = &recording{}
		defer func() {
			if c.rec.ok {
				s.answers.put(&k, &c.rec.answer)
			}
		}()
	}
	switch {
	case req.Route == nil || req.Route.Operation == nil:
		c.fail(http.StatusNotFound, "not_found", "No operation of this API matches the request.")
	case op != nil:
		op(c)
	default:
		c.generated()
	}
}

// ctx is the request's context.
func (c *call) ctx() context.Context { return c.r.Context() }

// param returns a path parameter.
func (c *call) param(name string) string { return c.req.PathParams[name] }

// send answers v as JSON.
func (c *call) send(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.fail(http.StatusInternalServerError, "internal_error", "The sandbox could not encode its answer.")
		return
	}
	c.sendRaw(status, "application/json", b)
}

func (c *call) sendRaw(status int, contentType string, body []byte) {
	if c.rec != nil {
		c.rec.sent(status, contentType, body)
	}
	h := c.w.Header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

// setHeader sets a header of the answer.
func (c *call) setHeader(name, value string) {
	if c.rec != nil {
		c.rec.header(name, value)
	}
	c.w.Header().Set(name, value)
}

// fail answers apierr's JSON error body, carrying the X-Request-Id the
// gateway set on w.
func (c *call) fail(status int, code, msg string) {
	apierr.Write(c.w, status, apierr.Detail{Code: code, Message: msg, RequestID: c.w.Header().Get("X-Request-Id")})
}

func (c *call) notFound(msg string) { c.fail(http.StatusNotFound, "not_found", msg) }

func (c *call) badRequest(msg string) { c.fail(http.StatusBadRequest, "invalid_request", msg) }

func (c *call) invalidInput(msg string) { c.fail(http.StatusUnprocessableEntity, "invalid_input", msg) }

// limit reads the limit query parameter: def when absent, and between 1
// and max.
func (c *call) limit(def, max int) (int, bool) {
	v := c.query.Get("limit")
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		c.badRequest("limit: must be an integer from 1 to " + strconv.Itoa(max) + ".")
		return 0, false
	}
	return n, true
}

// cursor decodes the cursor query parameter into v; it reports false
// (having answered 400) when the cursor is not one the sandbox issued.
func (c *call) cursor(v any) (present, ok bool) {
	s := c.query.Get("cursor")
	if s == "" {
		return false, true
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		c.badRequest("cursor: not a cursor this API issued; pass next_cursor back unchanged.")
		return true, false
	}
	return true, true
}

// encodeCursor is the opaque next_cursor of v.
func encodeCursor(v any) *string {
	b, _ := json.Marshal(v)
	s := base64.RawURLEncoding.EncodeToString(b)
	return &s
}

// timeParam parses an RFC 3339 query parameter; def when absent.
func (c *call) timeParam(name string, def time.Time) (time.Time, bool) {
	v := c.query.Get(name)
	if v == "" {
		return def, true
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		c.badRequest(name + ": must be an RFC 3339 date-time, such as 2025-03-18T00:00:00Z.")
		return time.Time{}, false
	}
	return t.UTC(), true
}

// maxWindow is the longest from–to window of the telemetry API.
const maxWindow = 31 * 24 * time.Hour

// window reads from and to: to defaults to now and from to `to` minus
// span; from must be before to and the window at most 31 days.
func (c *call) window(span time.Duration) (from, to time.Time, ok bool) {
	if to, ok = c.timeParam("to", c.now); !ok {
		return
	}
	if from, ok = c.timeParam("from", to.Add(-span)); !ok {
		return
	}
	return from, to, c.checkWindow(from, to)
}

func (c *call) checkWindow(from, to time.Time) bool {
	if !from.Before(to) {
		c.badRequest("from: must be before to.")
		return false
	}
	if d := to.Sub(from); d > maxWindow {
		days := int((d + 24*time.Hour - 1) / (24 * time.Hour))
		c.badRequest("to: the window spans " + strconv.Itoa(days) + " days; at most 31 are allowed.")
		return false
	}
	return true
}

// Times are written as RFC 3339 in UTC, to the second.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stampPtr(t time.Time) *string {
	s := stamp(t)
	return &s
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func ptr[T any](v T) *T { return &v }
