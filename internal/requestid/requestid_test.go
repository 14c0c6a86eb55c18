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
		// A credential has the shape of an id: it must not be carried
		// into logs and the call audit as one.
		{"ptc_sbx_4x9SecretBody0123456789abcdefABCDEF0123456789abcDEF", false},
		{"x-ptc_inv_abcdefgh", false},
	} {
		if got := Valid(tc.id); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}
