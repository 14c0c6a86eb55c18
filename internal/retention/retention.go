// Package retention removes old call rows and usage rollups: day
// partitions of api_calls older than the portal's call retention are
// dropped whole (a DROP TABLE, never a DELETE of the live table), old rows
// caught in the default partition and per-minute rollups older than the
// (longer) rollup retention are deleted in bounded batches, as are OAuth
// access tokens a day past their expiry. Each run is recorded
// (retention_runs, shown on the settings page) and audited.
//
// Several nodes may run the job: a session advisory lock lets one run at
// a time, and the others skip. A run is bounded in time and stops when its
// context is cancelled; what it did not finish, the next run does.
package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
)

// Config tunes a Job; the zero value is the production setting.
type Config struct {
	// Batch is how many rows one DELETE removes (default 10 000).
	Batch int
	// MaxDuration bounds one run (default 10 minutes).
	MaxDuration time.Duration
	// LockTimeout bounds the wait for api_calls' lock before dropping a
	// partition (default 2 s, as the partition maintenance waits).
	LockTimeout time.Duration
	// LockTries is how often a partition's drop is tried when the lock is
	// not had in time (default 3).
	LockTries int
	// Every is how often the schedule checks whether a run is due
	// (default an hour); a run is due a day after the last complete one.
	Every time.Duration
}

func (c Config) withDefaults() Config {
	if c.Batch <= 0 {
		c.Batch = 10_000
	}
	if c.MaxDuration <= 0 {
		c.MaxDuration = 10 * time.Minute
	}
	if c.LockTimeout <= 0 {
		c.LockTimeout = 2 * time.Second
	}
	if c.LockTries <= 0 {
		c.LockTries = 3
	}
	if c.Every <= 0 {
		c.Every = time.Hour
	}
	return c
}

// Interval is how long after a complete run the next one is due (a little
// less than a day, so an hourly check does not drift a day late).
const Interval = 23 * time.Hour

// ErrBusy says another node (or command) is running the job.
var ErrBusy = errors.New("retention is already running elsewhere")

// lockKey names the job's advisory lock.
const lockKey = "portico_retention"

// Job runs the retention.
type Job struct {
	st  *store.Store
	cfg Config
	log *slog.Logger
}

// New returns a Job over st.
func New(st *store.Store, cfg Config, log *slog.Logger) *Job {
	return &Job{st: st, cfg: cfg.withDefaults(), log: log}
}

// Run checks every cfg.Every (the first time at once) whether a run is
// due and runs it, until ctx is cancelled.
func (j *Job) Run(ctx context.Context) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r, err := j.Once(ctx, false)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, ErrBusy):
		case err != nil:
			j.log.Warn("retention: run failed", "err", err)
		case r != nil:
			j.log.Info("retention: run", "partitions_dropped", len(r.PartitionsDropped),
				"default_rows_deleted", r.DefaultRowsDeleted, "rollup_rows_deleted", r.RollupRowsDeleted, "oauth_tokens_deleted", r.AccessTokensDeleted,
				"complete", r.Complete, "error", r.Error)
		}
		t.Reset(j.cfg.Every)
	}
}

// Once runs the retention now if it is due (or at once with force), and
// returns the run, nil when none was due, or ErrBusy when another node
// holds the job's lock. A run cut short is still recorded and audited,
// with Complete false and why in Error.
func (j *Job) Once(ctx context.Context, force bool) (*store.RetentionRun, error) {
	conn, err := j.st.DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, lockKey).Scan(&got); err != nil {
		return nil, fmt.Errorf("retention: lock: %w", err)
	}
	if !got {
		return nil, ErrBusy
	}
	defer func() {
		// Closing the connection would release it too; unlocking keeps the
		// pooled connection clean.
		unlockCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(unlockCtx, `SELECT pg_advisory_unlock(hashtext($1))`, lockKey)
	}()
	if !force {
		last, err := j.st.LastRetentionRun(ctx)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("retention: %w", err)
		case last.Complete && time.Since(last.StartedAt) < Interval:
			return nil, nil
		}
	}
	return j.run(ctx)
}

func (j *Job) run(parent context.Context) (*store.RetentionRun, error) {
	ctx, cancel := context.WithTimeout(parent, j.cfg.MaxDuration)
	defer cancel()
	set, err := j.st.RetentionSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	today, err := j.st.DatabaseToday(ctx)
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	r := &store.RetentionRun{
		StartedAt:     time.Now(),
		CallsBefore:   today.AddDate(0, 0, -set.CallsDays),
		RollupsBefore: today.AddDate(0, 0, -set.RollupsDays),
	}
	if err := j.sweep(ctx, r); err != nil {
		r.Error = err.Error()
	} else {
		r.Complete = true
	}
	r.FinishedAt = time.Now()
	// Recorded even when the run was cancelled (shutdown): what was
	// dropped is said, within a few seconds more.
	recCtx, cancelRec := context.WithTimeout(context.WithoutCancel(parent), 10*time.Second)
	defer cancelRec()
	err = j.st.InTx(recCtx, func(tx *store.Store) error {
		if err := tx.AddRetentionRun(recCtx, r); err != nil {
			return err
		}
		return audit.Record(recCtx, tx, audit.Event{
			Action: "retention.run", TargetType: "retention_run", TargetID: r.ID, Target: "Retention",
			Details: map[string]any{
				"partitions":           len(r.PartitionsDropped),
				"partitions_dropped":   []string(r.PartitionsDropped),
				"default_rows_deleted": r.DefaultRowsDeleted,
				"rollup_rows_deleted":  r.RollupRowsDeleted,
				"oauth_tokens_deleted": r.AccessTokensDeleted,
				"calls_before":         r.CallsBefore.Format(time.DateOnly),
				"rollups_before":       r.RollupsBefore.Format(time.DateOnly),
				"complete":             r.Complete,
				"error":                r.Error,
			},
		})
	})
	if err != nil {
		return r, fmt.Errorf("retention: record the run: %w", err)
	}
	return r, nil
}

// sweep does the work of a run, filling r as it goes.
func (j *Job) sweep(ctx context.Context, r *store.RetentionRun) error {
	parts, err := j.st.CallPartitions(ctx)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if !p.Day.Before(r.CallsBefore) {
			break // oldest first: the rest are kept
		}
		dropped, err := j.drop(ctx, p, r.CallsBefore)
		if err != nil {
			return err
		}
		if dropped {
			r.PartitionsDropped = append(r.PartitionsDropped, p.Name)
		}
	}
	// Calls of old days that never had a partition sit in the default one.
	callsBefore := r.CallsBefore
	if err := j.batches(ctx, &r.DefaultRowsDeleted, func() (int64, error) {
		return j.st.DeleteOldDefaultCalls(ctx, callsBefore, j.cfg.Batch)
	}); err != nil {
		return err
	}
	if err := j.batches(ctx, &r.RollupRowsDeleted, func() (int64, error) {
		return j.st.DeleteOldRollups(ctx, r.RollupsBefore, j.cfg.Batch)
	}); err != nil {
		return err
	}
	for _, rollup := range store.UsageRollups {
		if err := j.batches(ctx, &r.RollupRowsDeleted, func() (int64, error) {
			return j.st.DeleteOldUsage(ctx, rollup, r.RollupsBefore, j.cfg.Batch)
		}); err != nil {
			return err
		}
	}
	// The verifier's notes for the alert rules, which read the last hour:
	// refusal counts are kept 30 days, networks 180 days after last seen
	// (a network back after that raises its alert again).
	var signals int64
	if err := j.batches(ctx, &signals, func() (int64, error) {
		return j.st.DeleteOldSignals(ctx, r.StartedAt.Add(-RefusalsKeep), r.StartedAt.Add(-NetworksKeep), j.cfg.Batch)
	}); err != nil {
		return err
	}
	// OAuth access tokens live minutes; a day after expiry nobody needs
	// their rows (the calls made with them count against their client).
	tokensBefore := r.StartedAt.Add(-AccessTokenKeep)
	return j.batches(ctx, &r.AccessTokensDeleted, func() (int64, error) {
		n, err := j.st.DeleteExpiredAccessTokens(ctx, tokensBefore, j.cfg.Batch)
		return int64(n), err
	})
}

// RefusalsKeep and NetworksKeep are how long the verifier's notes for the
// alert rules are kept: refusal counts by their hour, networks by when
// they were last seen.
const (
	RefusalsKeep = 30 * 24 * time.Hour
	NetworksKeep = 180 * 24 * time.Hour
)

// AccessTokenKeep is how long an expired OAuth access token's row is kept.
const AccessTokenKeep = 24 * time.Hour

// drop drops one partition, trying again a few times when the writers
// hold api_calls longer than the lock timeout.
func (j *Job) drop(ctx context.Context, p store.CallPartition, before time.Time) (bool, error) {
	for try := 1; ; try++ {
		dropped, err := j.st.DropCallPartition(ctx, p, before, j.cfg.LockTimeout)
		if err == nil || !errors.Is(err, store.ErrLockTimeout) || try >= j.cfg.LockTries {
			return dropped, err
		}
		t := time.NewTimer(time.Duration(try) * time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
	}
}

// batches runs del until it deletes less than a batch, adding up what it
// deleted in *n; each batch is its own short transaction.
func (j *Job) batches(ctx context.Context, n *int64, del func() (int64, error)) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, err := del()
		*n += k
		if err != nil {
			return err
		}
		if k < int64(j.cfg.Batch) {
			return nil
		}
	}
}
