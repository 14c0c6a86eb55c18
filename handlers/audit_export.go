package handlers

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// exportAudit streams everything the audit page's filters match, as CSV
// or NDJSON (?format=), in the scope the policy gives the viewer. Rows are
// read a page at a time by keyset and written as they come, so an export
// of a million rows holds one page in memory, not the file. Once the
// first byte is out the status cannot change: a failure midway ends the
// file with a line saying it stopped and the request id to quote.
func (h *Handler) exportAudit(c echo.Context) error {
	var m views.AuditPage
	q, cq, err := h.auditQueries(c, &m)
	if err != nil {
		return err
	}
	q.After, cq.After = nil, nil // an export is everything, from the newest
	format := c.QueryParam("format")
	if format != "csv" && format != "ndjson" {
		return BadRequest("Choose the export's format: csv or ndjson.")
	}
	if m.Actor != "" && m.Source != "calls" {
		id, err := h.auditActor(c, m.Actor, q.Scope)
		if err != nil {
			return err
		}
		if id == 0 {
			return BadRequest("Nobody you can see has the email " + m.Actor + ": clear the person filter to export.")
		}
		q.ActorID = id
	}
	if m.Source == "calls" && cq.API != "" && m.Staff {
		if _, err := h.store.APIBySlug(c.Request().Context(), cq.API); errors.Is(err, store.ErrNotFound) {
			return BadRequest("No API is called " + cq.API + ": check its short name on the APIs page.")
		} else if err != nil {
			return err
		}
	}
	what := "actions"
	if m.Source == "calls" {
		what = "calls"
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, map[string]string{"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}[format])
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="portico-audit-`+what+`-`+time.Now().UTC().Format("20060102-1504")+`.`+format+`"`)
	res.Header().Set("Cache-Control", "no-store")
	res.WriteHeader(http.StatusOK)
	buf := bufio.NewWriterSize(res, 32<<10)
	out := newExportWriter(buf, format)
	// The server's write timeout bounds a whole response; an export of a
	// million rows takes longer, so each page that goes out moves the
	// deadline on instead (a client that stops reading still times out).
	out.deadline = func() { _ = http.NewResponseController(res).SetWriteDeadline(time.Now().Add(exportWriteWindow)) }
	out.deadline()
	ctx := c.Request().Context()
	if m.Source == "calls" {
		err = h.exportCalls(ctx, out, cq, m.Staff)
	} else {
		err = h.exportEvents(ctx, out, q, actorOf(currentUser(c)))
	}
	if err != nil {
		h.log.Error("audit export stopped", "err", err, "request_id", requestID(c))
		out.stopped("The export stopped before its end. Try again, and quote request " + requestID(c) + " if it happens again.")
	}
	return buf.Flush()
}

// exportEvents writes every event q matches, a page at a time.
func (h *Handler) exportEvents(ctx context.Context, out *exportWriter, q store.AuditQuery, viewer access.Actor) error {
	out.header("time", "actor", "actor_email", "partner", "action", "sentence", "target_type", "target_id", "target", "ip", "request_id", "details")
	q.Limit, q.Bulk = store.MaxBulkPage, true
	for {
		rows, more, err := h.store.AuditEventsPage(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			target, ip, email, partner := "", "", "", ""
			if r.TargetID != nil {
				target = strconv.FormatInt(*r.TargetID, 10)
			}
			if audit.ShowsActor(viewer, r.ActorID, r.ActorPartnerID) {
				email = r.Actor
				if r.IP != nil {
					ip = *r.IP
				}
			}
			if viewer.Staff() {
				partner = r.PartnerName
			}
			who := r.ActorName
			if who == "" {
				who = r.Actor
			}
			out.row([]string{r.At.UTC().Format(time.RFC3339Nano), r.ActorName, email, partner, r.Action,
				audit.Sentence(who, r.Action, r.Target, r.Details), r.TargetType, target, r.Target, ip, r.RequestID, string(r.Details)})
		}
		if err := out.flush(); err != nil || !more {
			return err
		}
		k := rows[len(rows)-1].Key()
		q.After = &k
	}
}

// exportCalls writes every call q matches, a page at a time.
func (h *Handler) exportCalls(ctx context.Context, out *exportWriter, q store.CallQuery, staff bool) error {
	out.header("time", "partner", "token", "token_hint", "member", "api", "operation", "environment", "method", "path", "status", "latency_ms", "ip", "request_id")
	q.Limit, q.Bulk = store.MaxBulkPage, true
	for {
		rows, more, err := h.store.CallsPage(ctx, q)
		if err != nil {
			return err
		}
		for _, r := range rows {
			ip, partner := "", ""
			if r.ClientIP != nil {
				ip = *r.ClientIP
			}
			if staff {
				partner = r.PartnerName
			}
			out.row([]string{r.At.UTC().Format(time.RFC3339Nano), partner, r.TokenName, r.TokenHint, r.OwnerName, r.API, r.Operation,
				r.Environment, r.Method, r.Path, strconv.Itoa(r.Status), strconv.FormatFloat(float64(r.LatencyUS)/1000, 'f', 3, 64), ip, r.RequestID})
		}
		if err := out.flush(); err != nil || !more {
			return err
		}
		k := rows[len(rows)-1].Key()
		q.After = &k
	}
}

// exportWriteWindow is how long one page of an export may take to reach
// the client.
const exportWriteWindow = time.Minute

// exportWriter writes rows as CSV or as one JSON object per line.
type exportWriter struct {
	w      *bufio.Writer
	csv    *csv.Writer
	fields []string
	// deadline moves the response's write deadline on; nil in tests.
	deadline func()
}

func newExportWriter(w *bufio.Writer, format string) *exportWriter {
	e := &exportWriter{w: w}
	if format == "csv" {
		e.csv = csv.NewWriter(w)
	}
	return e
}

func (e *exportWriter) header(fields ...string) {
	e.fields = fields
	if e.csv != nil {
		_ = e.csv.Write(fields)
	}
}

func (e *exportWriter) row(vals []string) {
	if e.csv != nil {
		for i, v := range vals {
			vals[i] = spreadsheetSafe(v)
		}
		_ = e.csv.Write(vals)
		return
	}
	obj := make(map[string]any, len(vals))
	for i, v := range vals {
		if e.fields[i] == "details" && json.Valid([]byte(v)) {
			obj[e.fields[i]] = json.RawMessage(v)
		} else {
			obj[e.fields[i]] = v
		}
	}
	b, _ := json.Marshal(obj)
	_, _ = e.w.Write(append(b, '\n')) // bufio keeps the error for flush to report
}

// flush sends what is buffered, so a long export reaches the user as it
// is read; an error means the user went away.
func (e *exportWriter) flush() error {
	if e.deadline != nil {
		e.deadline()
	}
	if e.csv != nil {
		e.csv.Flush()
		if err := e.csv.Error(); err != nil {
			return err
		}
	}
	return e.w.Flush()
}

// stopped ends a broken export with a line that says so.
func (e *exportWriter) stopped(msg string) {
	if e.csv != nil {
		// As wide as the header, so a CSV reader takes it as a row.
		row := make([]string, max(len(e.fields), 1))
		row[0] = "# " + msg
		_ = e.csv.Write(row)
		e.csv.Flush()
		return
	}
	b, _ := json.Marshal(map[string]string{"error": msg})
	_, _ = e.w.Write(append(b, '\n')) // bufio keeps the error for the last Flush to report
}

// spreadsheetSafe keeps a spreadsheet from reading a value as a formula
// (CSV injection): a leading =, +, -, @, tab or carriage return gets a
// quote in front.
func spreadsheetSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
