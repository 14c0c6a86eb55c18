package store

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds every list shares: a page holds at most MaxPage rows and a search
// at most MaxSearch characters.
const (
	MaxPage   = 200
	MaxSearch = 100
)

// Key is a row's place in a list ordered by a sort value, then id. A page
// continues after the Key of the last row of the previous one (keyset
// pagination), so rows added or removed meanwhile shift nothing and no page
// walks an OFFSET. Sort is the ordering column as text: a lower-cased name,
// or a time in RFC 3339 with nanoseconds (see TimeKey), which PostgreSQL
// reads back with ::timestamptz.
type Key struct {
	Sort string
	ID   int64
}

// TimeKey is the Key of a row ordered by a time, then id.
func TimeKey(t time.Time, id int64) Key {
	return Key{Sort: t.UTC().Format(time.RFC3339Nano), ID: id}
}

// Cursor encodes the key as an opaque URL-safe token for the list named
// list (one or two letters, e.g. "m" for members), so a cursor of one
// list is refused by another.
func (k Key) Cursor(list string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "1:" + strconv.FormatInt(k.ID, 10) + ":" + k.Sort))
}

// ParseCursor decodes a Cursor of the list named list; ok is false for
// anything Cursor did not produce for that list (bad base64, prefix, id or
// UTF-8, a NUL, or a time list's unreadable time), so callers refuse it
// with a 400 before any query. timed says the list sorts by a time.
func ParseCursor(list, raw string, timed bool) (key *Key, ok bool) {
	// A sort value is at most a few hundred bytes; a longer cursor is not ours.
	if raw == "" || len(raw) > 2048 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || !utf8.Valid(b) {
		return nil, false
	}
	rest, ok := strings.CutPrefix(string(b), list+"1:")
	if !ok {
		return nil, false
	}
	id, sort, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, false
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || strings.ContainsRune(sort, 0) {
		return nil, false
	}
	if timed {
		// Only the form TimeKey writes: UTC, a year PostgreSQL takes. Go
		// parses year 0 and offsets up to ±23:59, which PostgreSQL refuses.
		t, err := time.Parse(time.RFC3339Nano, sort)
		if err != nil || t.Year() < 1 || t.Year() > 9999 || sort != t.UTC().Format(time.RFC3339Nano) {
			return nil, false
		}
	}
	return &Key{Sort: sort, ID: n}, true
}

// after splits an optional key into the two query arguments a keyset
// condition takes: ($n::text IS NULL OR (sort, id) > ($n, $n+1)).
func after(k *Key) (*string, int64) {
	if k == nil {
		return nil, 0
	}
	return &k.Sort, k.ID
}

// MaxBulkPage bounds the pages an export reads: larger than a screen's,
// so a million rows take fewer round trips, and still one page in memory.
const MaxBulkPage = 2000

// pageLimit bounds a requested page size to 1..MaxPage.
func pageLimit(n int) int { return min(max(n, 1), MaxPage) }

// cut trims the one extra row a page query reads to learn whether more
// follow.
func cut[T any](rows []T, limit int) ([]T, bool) {
	if len(rows) > limit {
		return rows[:limit], true
	}
	return rows, false
}

// searchPattern is a search as a LIKE operand: trimmed, at most MaxSearch
// characters, and matching itself literally (with ESCAPE '\'); empty means
// no search.
func searchPattern(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxSearch {
		s = string([]rune(s)[:MaxSearch])
	}
	return likeEscape(s)
}

// likeEscape makes s match itself literally in LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
