package store

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCursorRoundTripAndRefusals(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 10, 0, 0, 123456000, time.FixedZone("x", 3600))
	named := Key{Sort: "zoë: o'neil", ID: 42}
	timed := TimeKey(at, 7)

	if got, ok := ParseCursor("m", named.Cursor("m"), false); !ok || cmp.Diff(named, *got) != "" {
		t.Errorf("named key came back as %v, %v", got, ok)
	}
	got, ok := ParseCursor("t", timed.Cursor("t"), true)
	if !ok {
		t.Fatalf("time key refused")
	}
	back, _ := time.Parse(time.RFC3339Nano, got.Sort)
	if !back.Equal(at) || got.ID != 7 {
		t.Errorf("time key came back as %v id %d, want %v id 7", back, got.ID, at)
	}

	raw := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name, list, raw string
		timed           bool
	}{
		{"another list's cursor", "t", named.Cursor("m"), false},
		{"empty", "m", "", false},
		{"not base64", "m", "!!!", false},
		{"no id", "m", raw("m1:abc"), false},
		{"zero id", "m", raw("m1:0:a"), false},
		{"negative id", "m", raw("m1:-3:a"), false},
		{"NUL in the sort value", "m", raw("m1:3:a\x00b"), false},
		{"invalid UTF-8", "m", raw("m1:3:\xff"), false},
		{"not a time", "t", raw("t1:3:yesterday"), true},
		{"year 0", "t", raw("t1:3:0000-01-01T00:00:00Z"), true},
		{"an offset PostgreSQL refuses", "t", raw("t1:3:2026-01-01T00:00:00+20:00"), true},
		{"not in UTC", "t", raw("t1:3:2026-01-01T00:00:00+01:00"), true},
		{"too long", "m", raw("m1:3:" + string(make([]byte, 2000))), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if k, ok := ParseCursor(tc.list, tc.raw, tc.timed); ok {
				t.Errorf("ParseCursor accepted %q as %v", tc.raw, k)
			}
		})
	}
}
