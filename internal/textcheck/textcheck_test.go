package textcheck

import "testing"

func TestLineAndText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in         string
		line, text string
	}{
		{"", "", ""},
		{"Crane Works", "", ""},
		{"Zoë – Ünïcode ✓", "", ""},
		{"a\x00b", NUL, NUL},
		{"\xff", InvalidUTF8, InvalidUTF8},
		{"ok\xc3", InvalidUTF8, InvalidUTF8},
		{"two\nlines", Control, ""},
		{"tab\there", Control, ""},
		{"cr\r\n", Control, ""},
		{"bell\a", Control, Control},
		{"del\x7f", Control, Control},
		{"c1\u0085", Control, ""},
		{"sep\u2028", Control, ""},
		{"é\x00", NUL, NUL},
	}
	for _, tc := range tests {
		if got := Line(tc.in); got != tc.line {
			t.Errorf("Line(%q) = %q, want %q", tc.in, got, tc.line)
		}
		if got := Text(tc.in); got != tc.text {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.text)
		}
	}
}

func TestNoAllocation(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { _ = Line("Zoë – Ünïcode ✓"); _ = Text("plain ascii text") }); n != 0 {
		t.Errorf("allocations: %.0f, want 0", n)
	}
}
