package ratelimit

import (
	"net/http"
	"strconv"
	"time"
)

// SetHeaders writes d as the RateLimit header fields of the IETF httpapi
// draft (draft-ietf-httpapi-ratelimit-headers, structured-field form):
//
//	RateLimit-Policy: "partner";q=100;w=60
//	RateLimit: "partner";r=42;t=35
//	Retry-After: 2                      (refusals only)
//
// q is the per-minute limit, w the 60-second window, r the calls left now
// and t the whole seconds until the bucket is full again. Retry-After is in
// whole seconds, at least 1. A Degraded decision (backend down) has only
// the policy and, when refused, Retry-After; an unlimited one (Limit 0)
// writes nothing. The fields are set, not added: when several limits apply
// to one call, report the one closest to refusal.
func SetHeaders(h http.Header, policyName string, d Decision) {
	if d.Limit <= 0 {
		return
	}
	// Keys in canonical form, so setting them costs no allocation; both
	// values are cut from one string and their slices from one array (each
	// with len == cap, so an append elsewhere copies): two allocations a
	// call, not four.
	var buf [256]byte
	b := appendSFString(buf[:0], policyName)
	n := len(b)
	b = append(b, ";q="...)
	b = strconv.AppendInt(b, int64(d.Limit), 10)
	b = append(b, ";w="...)
	b = strconv.AppendInt(b, int64(Window/time.Second), 10)
	policy := len(b)
	if d.Degraded {
		h["Ratelimit-Policy"] = []string{string(b)}
	} else {
		b = append(b, b[:n]...)
		b = append(b, ";r="...)
		b = strconv.AppendInt(b, int64(max(d.Remaining, 0)), 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, ceilSeconds(d.Reset), 10)
		s, v := string(b), make([]string, 2)
		v[0], v[1] = s[:policy], s[policy:]
		h["Ratelimit-Policy"], h["Ratelimit"] = v[0:1:1], v[1:2:2]
	}
	if !d.Allowed {
		h["Retry-After"] = []string{strconv.FormatInt(max(ceilSeconds(d.RetryAfter), 1), 10)}
	}
}

func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// appendSFString appends s as a structured-field string (RFC 9651 §3.3.3):
// quoted, with '"' and '\' escaped; characters outside printable ASCII,
// which an sf-string cannot hold, become '_'.
func appendSFString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c > 0x7e:
			b = append(b, '_')
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
