package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/lib/pq"
)

// Bounds of the retention settings (the columns' CHECKs, migration 00025).
const (
	MinRetentionDays        = 7
	MaxCallsRetentionDays   = 3650
	MaxRollupsRetentionDays = 7300
)

// RetentionSettings say how long calls and their per-minute rollups are
// kept, in days. RollupsDays is never below CallsDays.
type RetentionSettings struct {
	CallsDays   int `db:"calls_retention_days"`
	RollupsDays int `db:"rollups_retention_days"`
}

// RetentionSettings returns how long calls and rollups are kept.
func (s *Store) RetentionSettings(ctx context.Context) (RetentionSettings, error) {
	var r RetentionSettings
	if err := s.q.GetContext(ctx, &r, `SELECT calls_retention_days, rollups_retention_days FROM portal_settings WHERE id = 1`); err != nil {
		return r, fmt.Errorf("retention settings: %w", err)
	}
	return r, nil
}

// SetRetentionSettings changes how long calls and rollups are kept.
func (s *Store) SetRetentionSettings(ctx context.Context, r RetentionSettings, by int64) error {
	if _, err := s.q.ExecContext(ctx, `
		UPDATE portal_settings SET calls_retention_days = $1, rollups_retention_days = $2, updated_at = now(), updated_by = $3
		WHERE id = 1`, r.CallsDays, r.RollupsDays, by); err != nil {
		return fmt.Errorf("set retention settings: %w", err)
	}
	return nil
}

// RetentionRun is one run of the retention job.
type RetentionRun struct {
	ID                 int64          `db:"id"`
	StartedAt          time.Time      `db:"started_at"`
	FinishedAt         time.Time      `db:"finished_at"`
	CallsBefore        time.Time      `db:"calls_before"`
	RollupsBefore      time.Time      `db:"rollups_before"`
	PartitionsDropped  pq.StringArray `db:"partitions_dropped"`
	DefaultRowsDeleted int64          `db:"default_rows_deleted"`
	RollupRowsDeleted  int64          `db:"rollup_rows_deleted"`
	// AccessTokensDeleted counts the expired OAuth access tokens the run
	// deleted; said in the run's audit event, not kept in retention_runs.
	AccessTokensDeleted int64 `db:"-"`
	// Complete is false for a run cut short (a lock not had in time, its
	// deadline, a shutdown, an error): the next check runs again.
	Complete bool   `db:"complete"`
	Error    string `db:"error"`
}

// LastRetentionRun returns the latest run of the retention job, or
// ErrNotFound before the first.
func (s *Store) LastRetentionRun(ctx context.Context) (*RetentionRun, error) {
	var r RetentionRun
	err := s.q.GetContext(ctx, &r, `
		SELECT id, started_at, finished_at, calls_before, rollups_before, partitions_dropped,
		       default_rows_deleted, rollup_rows_deleted, complete, error
		FROM retention_runs ORDER BY started_at DESC LIMIT 1`)
	if err != nil {
		return nil, fmt.Errorf("last retention run: %w", notFound(err))
	}
	return &r, nil
}

// AddRetentionRun records a run of the retention job.
func (s *Store) AddRetentionRun(ctx context.Context, r *RetentionRun) error {
	if r.PartitionsDropped == nil {
		r.PartitionsDropped = pq.StringArray{}
	}
	err := s.q.GetContext(ctx, &r.ID, `
		INSERT INTO retention_runs (started_at, finished_at, calls_before, rollups_before, partitions_dropped,
			default_rows_deleted, rollup_rows_deleted, complete, error)
		VALUES ($1, $2, $3::date, $4, $5, $6, $7, $8, $9) RETURNING id`,
		r.StartedAt, r.FinishedAt, r.CallsBefore.UTC().Format(time.DateOnly), r.RollupsBefore, r.PartitionsDropped,
		r.DefaultRowsDeleted, r.RollupRowsDeleted, r.Complete, r.Error)
	if err != nil {
		return fmt.Errorf("add retention run: %w", err)
	}
	return nil
}

// CallPartition is a day partition of api_calls.
type CallPartition struct {
	Name string
	Day  time.Time // midnight UTC
}

// partitionName is how api_calls_ensure_partitions names a day's
// partition; nothing else attached to api_calls is ever dropped.
var partitionName = regexp.MustCompile(`^api_calls_([0-9]{8})$`)

// CallPartitions lists the day partitions of api_calls, oldest first (the
// default partition is not one).
func (s *Store) CallPartitions(ctx context.Context) ([]CallPartition, error) {
	var names []string
	if err := s.q.SelectContext(ctx, &names, `
		SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'api_calls'::regclass ORDER BY c.relname`); err != nil {
		return nil, fmt.Errorf("call partitions: %w", err)
	}
	var ps []CallPartition
	for _, n := range names {
		m := partitionName.FindStringSubmatch(n)
		if m == nil {
			continue
		}
		day, err := time.Parse("20060102", m[1])
		if err != nil {
			continue
		}
		ps = append(ps, CallPartition{Name: n, Day: day})
	}
	return ps, nil
}

// DropCallPartition drops a day partition of api_calls that ends before
// before (and before the database's today, whatever before says), in
// its own transaction. It locks api_calls first, as the writers and
// api_calls_ensure_partitions do, so it cannot deadlock with them, and
// gives up after lockTimeout rather than queue the writers behind it
// (ErrLockTimeout). It reports false when there was no such partition.
func (s *Store) DropCallPartition(ctx context.Context, p CallPartition, before time.Time, lockTimeout time.Duration) (bool, error) {
	if !partitionName.MatchString(p.Name) || p.Name != "api_calls_"+p.Day.Format("20060102") || !p.Day.Before(before) {
		return false, fmt.Errorf("drop call partition %q: not a day before %s", p.Name, before.Format(time.DateOnly))
	}
	dropped := false
	err := s.InTx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, fmt.Sprintf(`SET LOCAL lock_timeout = '%dms'`, lockTimeout.Milliseconds())); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `LOCK TABLE ONLY api_calls IN ACCESS EXCLUSIVE MODE`); err != nil {
			return err
		}
		// Checked under the lock: still attached, and a day already over.
		var ok bool
		if err := tx.q.GetContext(ctx, &ok, `
			SELECT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			               WHERE i.inhparent = 'api_calls'::regclass AND c.relname = $1)
			   AND $2::date < (now() AT TIME ZONE 'UTC')::date`, p.Name, p.Day.Format(time.DateOnly)); err != nil || !ok {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `DROP TABLE `+pq.QuoteIdentifier(p.Name)); err != nil {
			return err
		}
		dropped = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("drop call partition %s: %w", p.Name, lockTimeoutErr(err))
	}
	return dropped, nil
}

// ErrLockTimeout is a lock not had within the lock timeout.
var ErrLockTimeout = errors.New("lock timeout")

func lockTimeoutErr(err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "55P03" {
		return fmt.Errorf("%w: %v", ErrLockTimeout, err)
	}
	return err
}

// DeleteOldDefaultCalls deletes at most limit rows older than before from
// the default partition of api_calls (calls of days that had no partition)
// and returns how many.
func (s *Store) DeleteOldDefaultCalls(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.q.ExecContext(ctx, `
		DELETE FROM api_calls_default WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM api_calls_default WHERE at < $1 LIMIT $2))`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old calls of the default partition: %w", err)
	}
	return res.RowsAffected()
}

// DeleteOldRollups deletes at most limit per-minute rollups older than
// before and returns how many.
func (s *Store) DeleteOldRollups(ctx context.Context, before time.Time, limit int) (int64, error) {
	res, err := s.q.ExecContext(ctx, `
		DELETE FROM api_usage_minutes WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM api_usage_minutes WHERE minute < $1 ORDER BY minute LIMIT $2))`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old rollups: %w", err)
	}
	return res.RowsAffected()
}

// UsageRollups are the dashboards' rollups (migrations 00026, 00028), deleted
// with the per-minute one by DeleteOldUsage.
var UsageRollups = []string{"api_usage_hours", "api_usage_days", "api_usage_token_days", "api_usage_partner_days", "api_usage_operation_days"}

// DeleteOldUsage deletes at most limit rows older than before from one of
// UsageRollups and returns how many. A row of an hour or a day goes when
// the whole hour or day is before before.
func (s *Store) DeleteOldUsage(ctx context.Context, rollup string, before time.Time, limit int) (int64, error) {
	var src usageSource
	for _, r := range []usageSource{usageHours, usageDays, usageTokenDays, usagePartnerDays, usageOperationDays} {
		if r.table == rollup {
			src = r
		}
	}
	if src.table == "" {
		return 0, fmt.Errorf("delete old usage: no rollup %q", rollup)
	}
	// The table and its time column ("hour" or "day", also the unit of a
	// row) come from the fixed list above, never from input.
	res, err := s.q.ExecContext(ctx, `
		DELETE FROM `+src.table+` WHERE ctid = ANY (ARRAY(
			SELECT ctid FROM `+src.table+` WHERE `+src.at+` <= $1::timestamptz - interval '1 `+src.at+`'
			ORDER BY `+src.at+` LIMIT $2))`, before, limit)
	if err != nil {
		return 0, fmt.Errorf("delete old usage of %s: %w", rollup, err)
	}
	return res.RowsAffected()
}

// DatabaseToday is the database's current day (UTC), the clock the
// partitions are made by.
func (s *Store) DatabaseToday(ctx context.Context) (time.Time, error) {
	var d string
	if err := s.q.GetContext(ctx, &d, `SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD')`); err != nil {
		return time.Time{}, fmt.Errorf("database day: %w", err)
	}
	return time.Parse(time.DateOnly, d)
}
