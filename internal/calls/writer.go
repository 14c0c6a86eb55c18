package calls

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

var (
	// ErrFull says the queue is full (PostgreSQL slow or down): the gateway
	// answers 503 rather than serve a call it cannot audit.
	ErrFull = errors.New("calls: audit queue full")
	// ErrClosed says the writer is shutting down or has shut down; the
	// gateway answers 503 as for ErrFull.
	ErrClosed = errors.New("calls: audit writer shut down")
)

// WriterConfig tunes a Writer; zero fields take the defaults.
type WriterConfig struct {
	// QueueSize bounds the calls waiting for the writer (default 65536,
	// about 200 bytes each plus the strings they point to).
	QueueSize int
	// BatchSize is the most calls written in one transaction (default 1000).
	BatchSize int
	// FlushInterval is the longest a queued call waits for a batch to
	// fill before it is written (default 200 ms).
	FlushInterval time.Duration
	// ShutdownTimeout bounds the final flush once Run's context ends
	// (default 10 s).
	ShutdownTimeout time.Duration
	// WriteTimeout bounds one attempt at writing a batch (default 30 s).
	WriteTimeout time.Duration
	// MaxBackoff is the longest pause between two attempts at a batch
	// PostgreSQL refused (default 5 s; the first pause is 50 ms).
	MaxBackoff time.Duration
	// PartitionsAhead is how many days of partitions after today exist at
	// any time (default 7).
	PartitionsAhead int
}

func (c WriterConfig) withDefaults() WriterConfig {
	if c.QueueSize <= 0 {
		c.QueueSize = 65536
	}
	c.QueueSize = min(c.QueueSize, 1<<30)
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = 200 * time.Millisecond
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.PartitionsAhead <= 0 {
		c.PartitionsAhead = 7
	}
	return c
}

// Stats are the writer's counters, for tests and metrics.
type Stats struct {
	// Queued is the number of calls waiting in the queue (not counting
	// the batch being written).
	Queued int64
	// Written is the number of rows committed to api_calls.
	Written int64
	// Batches is the number of transactions committed.
	Batches int64
	// Retries is the number of failed attempts at writing a batch.
	Retries int64
	// Refused is the number of calls refused with ErrFull (Admit false).
	Refused int64
	// Dropped is the number of queued calls given up at shutdown because
	// PostgreSQL did not take them before the deadline.
	Dropped int64
}

// The state word packs two counters so that admitting a call is one atomic
// add: the low 32 bits count the slots taken (calls admitted and not yet
// taken off the queue by Run), bounded by QueueSize; the high bits count
// the admissions not yet recorded or released, which shutdown waits for.
const (
	slot      = 1
	pending   = 1 << 32
	admission = pending + slot
)

// Writer queues calls and writes them to PostgreSQL in batches.
//
// Shutdown: the gateway first stops taking requests (http.Server.Shutdown
// waits for the ones in flight, which record their calls), then cancels
// Run's context and waits for Run to return. Run refuses new calls from
// then on (ErrClosed), waits for calls admitted but not yet recorded,
// writes everything queued, and returns; it gives up ShutdownTimeout after
// the cancellation, counting what it could not write in Stats.Dropped and
// returning an error.
type Writer struct {
	db  *sqlx.DB
	cfg WriterConfig
	log *slog.Logger

	queue   chan Call
	state   atomic.Int64
	closed  atomic.Bool
	running atomic.Bool

	written, batches, retries, refused, dropped atomic.Int64

	// Owned by Run's goroutine.
	batch  []Call
	rollup map[rollupKey]*rollupRow
	usage  usageRollups
}

// NewWriter returns a writer over db (st's pool when db is nil; Run needs
// one of them). Calls recorded before Run starts wait in the queue. The
// tokens' last use is not its business: the credential verifier batches
// it for every surface.
func NewWriter(st *store.Store, db *sqlx.DB, cfg WriterConfig, log *slog.Logger) *Writer {
	if db == nil && st != nil {
		db = st.DB()
	}
	if log == nil {
		log = slog.Default()
	}
	cfg = cfg.withDefaults()
	return &Writer{
		db: db, cfg: cfg, log: log,
		queue:  make(chan Call, cfg.QueueSize),
		batch:  make([]Call, 0, cfg.BatchSize),
		rollup: map[rollupKey]*rollupRow{},
		usage:  newUsageRollups(),
	}
}

// Record queues c for writing. It never blocks and allocates nothing: it
// returns ErrFull when the queue is full and ErrClosed once Run is shutting
// down; the gateway then answers 503. A zero c.At is set to now.
func (w *Writer) Record(c Call) error {
	if err := w.admit(); err != nil {
		return err
	}
	w.RecordAdmitted(c)
	return nil
}

// Admit reserves room in the queue for one call about to be served, so the
// gateway can refuse it (503) before serving rather than after. Every true
// must be followed by exactly one RecordAdmitted (the call's row) or
// Release (the call will not be audited); shutdown waits for them.
func (w *Writer) Admit() bool { return w.admit() == nil }

func (w *Writer) admit() error {
	s := w.state.Add(admission)
	// closed is read after the add: shutdown stores closed and then reads
	// the pending count, so one of the two sees the other.
	if w.closed.Load() {
		w.state.Add(-admission)
		return ErrClosed
	}
	if s&(pending-1) > int64(w.cfg.QueueSize) { // the low 32 bits: slots taken
		w.state.Add(-admission)
		w.refused.Add(1)
		return ErrFull
	}
	return nil
}

// RecordAdmitted queues the call that Admit made room for. It never blocks.
func (w *Writer) RecordAdmitted(c Call) {
	if c.At.IsZero() {
		c.At = time.Now()
	}
	w.queue <- c // never blocks: the admission holds a slot
	w.state.Add(-pending)
}

// Release gives back the room Admit reserved, for a call not audited.
func (w *Writer) Release() { w.state.Add(-admission) }

// Capacity is the most calls the queue holds (WriterConfig.QueueSize):
// beyond it the gateway answers 503.
func (w *Writer) Capacity() int { return w.cfg.QueueSize }

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	return Stats{
		Queued:  int64(len(w.queue)),
		Written: w.written.Load(),
		Batches: w.batches.Load(),
		Retries: w.retries.Load(),
		Refused: w.refused.Load(),
		Dropped: w.dropped.Load(),
	}
}

// Run writes the queued calls until ctx ends, then flushes what is left
// (see Writer for the shutdown). It also keeps the partitions of api_calls
// created ahead, at start and daily. Call it once.
func (w *Writer) Run(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("calls: Run called twice")
	}
	// life outlives ctx by ShutdownTimeout: the writes use it, so a write
	// in flight when ctx ends goes on, and the final flush has its time.
	life, endLife := context.WithCancel(context.WithoutCancel(ctx))
	defer endLife()
	stopAfter := context.AfterFunc(ctx, func() { time.AfterFunc(w.cfg.ShutdownTimeout, endLife) })
	defer stopAfter()

	maintained := make(chan struct{})
	go func() {
		defer close(maintained)
		w.maintain(ctx)
	}()
	defer func() { <-maintained }()

	tick := time.NewTicker(w.cfg.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return w.shutdown(life)
		case c := <-w.queue:
			w.batch = append(w.batch, c)
			w.state.Add(-slot)
			w.fill()
			if len(w.batch) >= w.cfg.BatchSize && !w.flush(life) {
				return w.giveUp()
			}
		case <-tick.C:
			w.fill()
			if len(w.batch) > 0 && !w.flush(life) {
				return w.giveUp()
			}
		}
	}
}

// fill moves queued calls into the batch, without waiting, until it is full.
func (w *Writer) fill() {
	n := 0
	for len(w.batch) < w.cfg.BatchSize {
		select {
		case c := <-w.queue:
			w.batch = append(w.batch, c)
			n++
			continue
		default:
		}
		break
	}
	if n > 0 {
		w.state.Add(-int64(n) * slot)
	}
}

// shutdown refuses new calls, waits for the admitted ones and writes all.
func (w *Writer) shutdown(life context.Context) error {
	w.closed.Store(true)
	for {
		// Read before draining: once no admission is pending (and none can
		// start, closed being set), every call is in the queue.
		idle := w.state.Load()>>32 <= 0
		for {
			w.fill()
			if len(w.batch) == 0 {
				break
			}
			if !w.flush(life) {
				return w.giveUp()
			}
		}
		if idle {
			break
		}
		select {
		case <-life.Done():
			return w.giveUp()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// giveUp counts and reports what shutdown could not write in time.
func (w *Writer) giveUp() error {
	w.closed.Store(true) // nothing drains the queue any more: admit no one
	n := len(w.batch)
	w.batch = w.batch[:0]
	for {
		select {
		case <-w.queue:
			n++
			continue
		default:
		}
		break
	}
	w.dropped.Add(int64(n))
	late := w.state.Load() >> 32
	w.log.Error("calls: shutdown deadline passed with audit records unwritten", "dropped", n, "admitted_not_recorded", late)
	return fmt.Errorf("calls: %d audit records not written before the shutdown deadline", n)
}

// flush writes the batch, retrying with back-off until it commits or ctx
// ends (false; the batch is kept).
func (w *Writer) flush(ctx context.Context) bool {
	id := batchID()
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := w.write(ctx, id, w.batch)
		if err == nil {
			w.written.Add(int64(len(w.batch)))
			w.batches.Add(1)
			w.batch = w.batch[:0]
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		w.retries.Add(1)
		level := slog.LevelWarn
		if attempt >= 10 {
			level = slog.LevelError
		}
		w.log.Log(ctx, level, "calls: write audit batch failed; retrying", "calls", len(w.batch), "attempt", attempt, "backoff", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		backoff = min(backoff*2, w.cfg.MaxBackoff)
	}
}

// batchID is a random UUID (version 4) naming one batch.
func batchID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[x>>4], hex[x&0xf])
	}
	return string(out)
}

// copyCalls is the COPY a batch's rows go through, in the order write
// passes them.
const copyCalls = `COPY api_calls (at, partner_id, token_id, api, operation, environment, method, path,
	status, latency_us, client_ip, user_agent, request_id, bytes_in, bytes_out) FROM STDIN`

// write writes one batch in one transaction: its id, its rows by COPY and
// its rollup. Run again after a failure it starts afresh, so a batch is
// written entirely or not at all, and a batch whose commit went through
// unacknowledged finds its id and writes nothing.
func (w *Writer) write(ctx context.Context, id string, batch []Call) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it only says so
	res, err := tx.ExecContext(ctx, `INSERT INTO api_call_batches (id) VALUES ($1) ON CONFLICT DO NOTHING`, id)
	if err != nil {
		return fmt.Errorf("claim batch: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("claim batch: %w", err)
	} else if n == 0 {
		return nil // committed by an earlier attempt
	}
	stmt, err := tx.PrepareContext(ctx, copyCalls)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	for i := range batch {
		c := clean(&batch[i])
		if _, err := stmt.ExecContext(ctx, c.At, nullID(c.PartnerID), nullID(c.TokenID), c.API, c.Operation, c.Environment,
			c.Method, c.Path, int64(c.Status), c.Latency.Microseconds(), nullString(c.ClientIP), c.UserAgent, c.RequestID,
			c.BytesIn, c.BytesOut); err != nil {
			_ = stmt.Close() // the COPY's error is the one to report; the rollback ends the statement anyway
			return fmt.Errorf("copy: %w", err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		_ = stmt.Close() // as above
		return fmt.Errorf("copy: %w", err)
	}
	if err := stmt.Close(); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if err := w.upsertRollup(ctx, tx, batch); err != nil {
		return err
	}
	if err := w.upsertUsage(ctx, tx, batch); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Text limits: longer values are cut (at a character boundary).
const (
	maxUserAgent = 512
	maxPath      = 2048
	maxShort     = 200
)

var (
	minAt = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxAt = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
)

// clean makes a call safe to write: no credential in its text, and no
// value PostgreSQL refuses (a NUL byte, invalid UTF-8, an address that is
// not one, a number out of range), which would fail its batch on every
// retry and stop the gateway.
func clean(c *Call) Call {
	x := *c
	if x.At.Before(minAt) {
		x.At = minAt
	} else if x.At.After(maxAt) {
		x.At = maxAt
	}
	// A credential pasted into the URL (the gateway refuses the call)
	// must not be stored: the path and the slug are cut to its kind.
	x.API = cleanText(token.RedactPath(x.API), maxShort)
	x.Operation = cleanText(x.Operation, maxShort)
	x.Environment = cleanText(x.Environment, maxShort)
	x.Method = cleanText(x.Method, maxShort)
	x.Path = cleanText(token.RedactPath(x.Path), maxPath)
	x.UserAgent = cleanText(x.UserAgent, maxUserAgent)
	x.RequestID = cleanText(x.RequestID, maxShort)
	x.ClientIP = cleanIP(x.ClientIP)
	x.Status = min(max(x.Status, 0), 999)
	x.Latency = min(max(x.Latency, 0), math.MaxInt32*time.Microsecond)
	x.BytesIn = max(x.BytesIn, 0)
	x.BytesOut = max(x.BytesOut, 0)
	return x
}

func cleanText(s string, limit int) string {
	if len(s) <= limit && utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) > limit {
		for limit > 0 && !utf8.RuneStart(s[limit]) {
			limit--
		}
		s = s[:limit]
	}
	return s
}

// cleanIP returns the address as inet takes it, or "" (NULL).
func cleanIP(s string) string {
	if s == "" {
		return ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return ""
	}
	if a.Zone() != "" {
		return a.WithZone("").String()
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

type rollupKey struct {
	minute         int64 // Unix seconds
	partner, token int64
	api, operation string
	statusClass    int8
}

type rollupRow struct {
	count, latencySum int64
	buckets           [NumLatencyBuckets]int64
}

// upsertRollup adds the batch, summed per minute, partner, token, API,
// operation and status class, to api_usage_minutes in one statement. The
// rows go in key order so that writers on several nodes lock them in the
// same order.
func (w *Writer) upsertRollup(ctx context.Context, tx *sql.Tx, batch []Call) error {
	clear(w.rollup)
	for i := range batch {
		c := clean(&batch[i])
		k := rollupKey{
			minute: c.At.Truncate(time.Minute).Unix(), partner: c.PartnerID, token: c.TokenID,
			api: c.API, operation: c.Operation, statusClass: int8(StatusClass(c.Status)), // #nosec G115 -- StatusClass is 1 to 5
		}
		r := w.rollup[k]
		if r == nil {
			r = &rollupRow{}
			w.rollup[k] = r
		}
		r.count++
		r.latencySum += c.Latency.Microseconds()
		r.buckets[Bucket(c.Latency)]++
	}
	keys := make([]rollupKey, 0, len(w.rollup))
	for k := range w.rollup {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b rollupKey) int {
		return cmp.Or(cmp.Compare(a.partner, b.partner), cmp.Compare(a.minute, b.minute), cmp.Compare(a.token, b.token),
			strings.Compare(a.api, b.api), strings.Compare(a.operation, b.operation), cmp.Compare(a.statusClass, b.statusClass))
	})
	n := len(keys)
	minutes, partners, tokens := make([]int64, n), make([]int64, n), make([]int64, n)
	apis, ops, hists := make([]string, n), make([]string, n), make([]string, n)
	classes, counts, sums := make([]int64, n), make([]int64, n), make([]int64, n)
	var buf []byte
	for i, k := range keys {
		r := w.rollup[k]
		minutes[i], partners[i], tokens[i], apis[i], ops[i] = k.minute, k.partner, k.token, k.api, k.operation
		classes[i], counts[i], sums[i] = int64(k.statusClass), r.count, r.latencySum
		buf = append(buf[:0], '{')
		for j, b := range r.buckets {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendInt(buf, b, 10)
		}
		hists[i] = string(append(buf, '}'))
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO api_usage_minutes AS u (minute, partner_id, token_id, api, operation, status_class, count, latency_sum_us, latency_buckets)
		SELECT to_timestamp(m), p, t, a, o, c, n, s, h::bigint[]
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::smallint[], $7::bigint[], $8::bigint[], $9::text[])
			AS x(m, p, t, a, o, c, n, s, h)
		ON CONFLICT (partner_id, minute, token_id, api, operation, status_class) DO UPDATE SET
			count = u.count + EXCLUDED.count,
			latency_sum_us = u.latency_sum_us + EXCLUDED.latency_sum_us,
			latency_buckets = api_usage_add_buckets(u.latency_buckets, EXCLUDED.latency_buckets)`,
		pq.Array(minutes), pq.Array(partners), pq.Array(tokens), pq.Array(apis), pq.Array(ops),
		pq.Array(classes), pq.Array(counts), pq.Array(sums), pq.Array(hists))
	if err != nil {
		return fmt.Errorf("usage rollup: %w", err)
	}
	return nil
}

// maintain keeps the partitions ahead and prunes old batch ids: at start,
// then daily (every minute until it succeeds).
func (w *Writer) maintain(ctx context.Context) {
	for {
		next := 24 * time.Hour
		if err := w.maintainOnce(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			w.log.Warn("calls: partition maintenance failed; retrying in a minute", "err", err)
			next = time.Minute
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (w *Writer) maintainOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	// From yesterday: a node whose clock is behind still finds its day.
	if _, err := EnsurePartitions(ctx, w.db, time.Now().AddDate(0, 0, -1), w.cfg.PartitionsAhead+2); err != nil {
		return err
	}
	if _, err := w.db.ExecContext(ctx, `DELETE FROM api_call_batches WHERE written_at < now() - interval '2 days'`); err != nil {
		return fmt.Errorf("prune batch ids: %w", err)
	}
	return nil
}

// EnsurePartitions creates the missing daily partitions of api_calls for
// the days (UTC) from the day of from on, moving rows of those days out of
// the default partition, and returns how many it created. It gives up
// after two seconds waiting for a lock rather than queue the writers
// behind a long query on the table.
func EnsurePartitions(ctx context.Context, db *sqlx.DB, from time.Time, days int) (int, error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("ensure partitions: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it only says so
	if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '2s'`); err != nil {
		return 0, fmt.Errorf("ensure partitions: %w", err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT api_calls_ensure_partitions($1::date, $2)`, from.UTC().Format(time.DateOnly), days); err != nil {
		return 0, fmt.Errorf("ensure partitions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("ensure partitions: %w", err)
	}
	return n, nil
}
