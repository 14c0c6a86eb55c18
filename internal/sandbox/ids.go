package sandbox

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// Everything generated is a function of a few integers, mixed by
// splitmix64: the partner's id, a tag naming the kind of entity, and the
// entity's index. The same inputs give the same data on every node and
// in every release that keeps these constants.

// Tags keep the random streams of different entities apart.
const (
	tagFleet uint64 = iota + 1
	tagSpreader
	tagAlarm
	tagCycle
	tagSeries
	tagStatus
	tagWorkOrder
	tagPerm
	tagGenerated
)

// mix is splitmix64's finaliser: a bijection on uint64 that spreads every
// input bit over the output.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash mixes parts in order.
func hash(parts ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, p := range parts {
		h = mix(h ^ p)
	}
	return h
}

// hashString is FNV-1a, for strings that seed a stream.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// u64 is v as an input of the generators: a hash part, an entity's number
// or a partner's slot. The values are partner ids, indexes and Unix times,
// none negative; were one negative, it would still map to one fixed uint64
// (its two's complement bits), and the same input giving the same data is
// all the generators need.
func u64[T int | int64](v T) uint64 {
	return uint64(v) // #nosec G115 -- wraps only a negative v, to one fixed value: determinism is all that is needed here (see above)
}

// rng is a PCG stream for one entity.
func rng(parts ...uint64) *rand.Rand {
	h := hash(parts...)
	// #nosec G404 -- seeded on purpose: the sandbox's fake data must be the same on every node for the same inputs, and nothing secret is drawn from it
	return rand.New(rand.NewPCG(h, mix(h)))
}

// between returns an integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// slots is the number of partner slots each id space is cut into.
const slots = 1000

// perm is a keyed permutation of [0, m*m): a four-round Feistel network
// over the two base-m digits, so ids look scattered but map back to the
// partner slot and index they were made from.
type perm struct {
	m   uint64
	key uint64
}

func (p perm) round(i, x uint64) uint64 { return hash(tagPerm, p.key, i, x) % p.m }

func (p perm) apply(x uint64) uint64 {
	l, r := x/p.m, x%p.m
	for i := uint64(0); i < 4; i++ {
		l, r = r, (l+p.round(i, r))%p.m
	}
	return l*p.m + r
}

func (p perm) invert(y uint64) uint64 {
	l, r := y/p.m, y%p.m
	for i := uint64(4); i > 0; i-- {
		l, r = (r+p.m-p.round(i-1, l))%p.m, l
	}
	return l*p.m + r
}

// An id space: its prefix, its digits, its permutation and how many
// numbers each partner slot holds.
type idSpace struct {
	prefix  string
	digits  int
	perm    perm
	perSlot uint64
}

var (
	// 10 spreaders per partner: SPR-0000 to SPR-9999.
	spreaderIDs = idSpace{"SPR-", 4, perm{100, 0x5350}, 10}
	// 1000 alarm numbers per partner, reused round robin (3 hours apart:
	// about 125 days).
	alarmIDs = idSpace{"ALM-", 6, perm{1000, 0x414c}, 1000}
	// 6 generated work orders per partner and 994 it can open.
	workOrderIDs = idSpace{"WO-", 6, perm{1000, 0x574f}, 1000}
	// ten million lift cycles per partner, reused round robin (about
	// seven years).
	liftCycleIDs = idSpace{"LC-", 10, perm{100000, 0x4c43}, 10000000}
)

func slotOf(partnerID int64) uint64 { return u64(partnerID) % slots }

// id formats the id of a partner's n-th entity (n < perSlot).
func (s idSpace) id(partnerID int64, n uint64) string {
	v := s.perm.apply(slotOf(partnerID)*s.perSlot + n%s.perSlot)
	b := make([]byte, 0, len(s.prefix)+s.digits)
	b = append(b, s.prefix...)
	d := strconv.AppendUint(nil, v, 10)
	for i := len(d); i < s.digits; i++ {
		b = append(b, '0')
	}
	return string(append(b, d...))
}

// index returns which of the partner's entities id is; ok is false for a
// malformed id or one of another partner's slot.
func (s idSpace) index(partnerID int64, id string) (uint64, bool) {
	if len(id) != len(s.prefix)+s.digits || id[:len(s.prefix)] != s.prefix {
		return 0, false
	}
	v, err := strconv.ParseUint(id[len(s.prefix):], 10, 64)
	if err != nil {
		return 0, false
	}
	x := s.perm.invert(v)
	if x/s.perSlot != slotOf(partnerID) {
		return 0, false
	}
	return x % s.perSlot, true
}

// epoch is where the telemetry grid starts: nothing happened before it.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// world is one partner's sandbox as of one instant.
type world struct {
	partnerID int64
	now       time.Time
	fleet     *fleetEntry
}

func newWorld(partnerID int64, now time.Time) *world {
	return &world{partnerID: partnerID, now: now}
}

// fleetEntry is a partner's generated fleet. It never changes, so it is
// cached (direct-mapped by partner id, bounded) and shared read-only.
type fleetEntry struct {
	partnerID int64
	spreaders []spreader
	inService []int
	// encoded holds each spreader's JSON, for lists.
	encoded [][]byte
}

var fleetCache [1024]atomic.Pointer[fleetEntry]

func fleetOf(partnerID int64) *fleetEntry {
	slot := &fleetCache[u64(partnerID)%uint64(len(fleetCache))]
	if e := slot.Load(); e != nil && e.partnerID == partnerID {
		return e
	}
	e := &fleetEntry{partnerID: partnerID, spreaders: buildFleet(partnerID)}
	for i, s := range e.spreaders {
		if s.Status == "in_service" {
			e.inService = append(e.inService, i)
		}
		b, _ := json.Marshal(s.Spreader)
		e.encoded = append(e.encoded, b)
	}
	slot.Store(e)
	return e
}

// spreaders returns the partner's fleet, ordered by index. It is shared:
// callers copy what they change.
func (w *world) spreaders() []spreader {
	if w.fleet == nil {
		w.fleet = fleetOf(w.partnerID)
	}
	return w.fleet.spreaders
}

// spreaderByID returns the partner's spreader with this id.
func (w *world) spreaderByID(id string) (*spreader, bool) {
	i, ok := spreaderIDs.index(w.partnerID, id)
	if !ok {
		return nil, false
	}
	return &w.spreaders()[i], true
}

// inService lists the indexes of the spreaders in service.
func (w *world) inService() []int {
	w.spreaders()
	return w.fleet.inService
}
