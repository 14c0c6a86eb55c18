package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// Window is the period every per-minute limit refers to.
const Window = time.Minute

// memShards spreads keys over independently locked maps so that concurrent
// requests of different partners rarely wait for each other.
const memShards = 64

// sweepEvery is how often a shard drops keys whose bucket is full again.
const sweepEvery = time.Minute

// Memory is an in-process GCRA limiter (the generic cell rate algorithm: a
// token bucket kept as one "theoretical arrival time" per key). A key
// allowed N per minute may spend a burst of N at once and then regains one
// call every minute/N.
//
// The state of a key is dropped once its bucket is full again (an absent
// key and a full bucket behave the same), lazily by a sweep of each shard
// at most once a minute, so memory is bounded by the keys active in the
// last two minutes or so. Checking an existing key does not allocate.
//
// Limits held here are per process: with several nodes, use Redis.
type Memory struct {
	seed   maphash.Seed
	epoch  time.Time
	now    func() time.Time
	shards [memShards]memShard
}

type memShard struct {
	mu        sync.Mutex
	m         map[string]*gcraState
	nextSweep int64 // nanoseconds since epoch
	peak      int   // largest len(m) since the map was last rebuilt
	_         [32]byte
}

type gcraState struct {
	tat int64 // theoretical arrival time, nanoseconds since Memory.epoch
}

// NewMemory returns an empty in-process limiter.
func NewMemory() *Memory { return newMemory(time.Now) }

func newMemory(now func() time.Time) *Memory {
	m := &Memory{seed: maphash.MakeSeed(), now: now, epoch: now()}
	for i := range m.shards {
		m.shards[i].m = make(map[string]*gcraState)
		m.shards[i].nextSweep = int64(sweepEvery)
	}
	return m
}

// Allow counts one call under key against perMinute and never fails.
func (m *Memory) Allow(_ context.Context, key string, perMinute int) (Decision, error) {
	if perMinute <= 0 {
		return Decision{Allowed: true}, nil
	}
	now := int64(m.now().Sub(m.epoch))
	s := &m.shards[maphash.String(m.seed, key)%memShards]
	s.mu.Lock()
	if now >= s.nextSweep {
		s.sweep(now)
	}
	st := s.m[key]
	if st == nil {
		st = &gcraState{tat: now}
		s.m[key] = st
		if len(s.m) > s.peak {
			s.peak = len(s.m)
		}
	}
	d := gcra(&st.tat, now, perMinute)
	s.mu.Unlock()
	return d, nil
}

// Len is the number of keys currently held (for tests and metrics).
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// sweep drops the keys whose bucket is full again and, when the map has
// shrunk to a quarter of its peak, rebuilds it so its buckets are freed
// too. Called with s.mu held.
func (s *memShard) sweep(now int64) {
	for k, st := range s.m {
		if st.tat <= now {
			delete(s.m, k)
		}
	}
	if s.peak >= 256 && len(s.m) < s.peak/4 {
		fresh := make(map[string]*gcraState, len(s.m))
		for k, st := range s.m {
			fresh[k] = st
		}
		s.m = fresh
		s.peak = len(fresh)
	}
	s.nextSweep = now + int64(sweepEvery)
}

// gcra decides one call at now (nanoseconds) for a bucket of limit calls
// per Window refilling one call every Window/limit, and advances *tat when
// the call is allowed.
func gcra(tat *int64, now int64, limit int) Decision {
	interval := int64(Window) / int64(limit)
	if interval < 1 {
		interval = 1
	}
	burst := interval * int64(limit)
	t := max(*tat, now)
	next := t + interval
	allowAt := next - burst
	if now < allowAt {
		return Decision{
			Limit:      limit,
			Reset:      time.Duration(t - now),
			RetryAfter: time.Duration(allowAt - now),
		}
	}
	*tat = next
	return Decision{
		Allowed:   true,
		Limit:     limit,
		Remaining: int((now - allowAt) / interval),
		Reset:     time.Duration(next - now),
	}
}
