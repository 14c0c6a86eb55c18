package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Quota counts calls per calendar month (in UTC) under a key, typically a
// partner and access group.
//
// Use counts one call in the month of now unless the month's count has
// reached limit: it returns the count including this call and ok, or, when
// the quota is used up, the count so far and !ok (a refused call is not
// counted). A limit of zero or less means no quota: every call is counted
// and ok. An error means the backend could not decide; see
// QuotaWithFailMode.
type Quota interface {
	Use(ctx context.Context, key string, limit int64, now time.Time) (used int64, ok bool, err error)
}

// QuotaMargin is how long a month's counter outlives the month in Redis, so
// that clock skew between nodes near midnight never loses a count.
const QuotaMargin = 7 * 24 * time.Hour

// monthOf numbers the calendar month of t in UTC.
func monthOf(t time.Time) int32 {
	y, m, _ := t.UTC().Date()
	return int32(y*12 + int(m) - 1) // #nosec G115 -- t is the clock's now: months since year 0 pass 2^31 in the year 178 million
}

// monthEnd is the first instant of the month after t's, in UTC.
func monthEnd(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
}

const quotaShards = 16

// MemoryQuota counts monthly quotas in process. Its counts live as long as
// the process: a restart starts every partner's month from zero again
// unless the caller seeds the counts (Seed) from the durable record, the
// audit table. With several nodes each counts its own calls: use
// RedisQuota there.
type MemoryQuota struct {
	seed   maphash.Seed
	shards [quotaShards]quotaShard
}

type quotaKey struct {
	key   string
	month int32
}

type quotaShard struct {
	mu    sync.Mutex
	m     map[quotaKey]*int64
	month int32 // latest month seen; older months are dropped on change
	_     [40]byte
}

// NewMemoryQuota returns an empty in-process quota counter.
func NewMemoryQuota() *MemoryQuota {
	q := &MemoryQuota{seed: maphash.MakeSeed()}
	for i := range q.shards {
		q.shards[i].m = make(map[quotaKey]*int64)
	}
	return q
}

// Use implements Quota and never fails.
func (q *MemoryQuota) Use(_ context.Context, key string, limit int64, now time.Time) (int64, bool, error) {
	s, n := q.counter(key, monthOf(now))
	defer s.mu.Unlock()
	if limit > 0 && *n >= limit {
		return *n, false, nil
	}
	*n++
	return *n, true, nil
}

// Seed raises the count of key in the month of now to used, for example
// from the audit table at start-up; a higher count already held is kept.
func (q *MemoryQuota) Seed(key string, now time.Time, used int64) {
	s, n := q.counter(key, monthOf(now))
	*n = max(*n, used)
	s.mu.Unlock()
}

// counter returns the count of key in month with its shard locked.
func (q *MemoryQuota) counter(key string, month int32) (*quotaShard, *int64) {
	s := &q.shards[maphash.String(q.seed, key)%quotaShards]
	s.mu.Lock()
	if month > s.month {
		for k := range s.m {
			if k.month < month {
				delete(s.m, k)
			}
		}
		s.month = month
	}
	k := quotaKey{key, month}
	n := s.m[k]
	if n == nil {
		n = new(int64)
		s.m[k] = n
	}
	return s, n
}
