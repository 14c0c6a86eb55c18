package requestid

import (
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"lb-2f9c0a1e", true},
		{"ABC_def-123", true},
		{"short", false},
		{strings.Repeat("a", 65), false},
		{"has space in it", false},
		{"line\nbreak-here", false},
		{`quote"inside`, false},
		{"", false},
	} {
		if got := Valid(tc.id); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
