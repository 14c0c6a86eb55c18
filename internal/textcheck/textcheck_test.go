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

func TestDecoded(t *testing.T) {
	t.Parallel()
	type inner struct {
		Tags []string `json:"tags"`
	}
	type body struct {
		Name  string            `json:"name"`
		Note  *string           `json:"note,omitempty"`
		In    inner             `json:"inner"`
		Extra map[string]any    `json:"extra"`
		Raw   []byte            `json:"raw"`
		Skip  string            `json:"-"`
		Attrs map[string]string `json:"attrs"`
	}
	nul := "a\x00"
	tests := []struct {
		name      string
		v         any
		path, msg string
	}{
		{"clean", &body{Name: "ok", Note: new(string), Raw: []byte{0}, Skip: nul}, "", ""},
		{"field", &body{Name: nul}, "name", NUL},
		{"pointer", &body{Note: &nul}, "note", NUL},
		{"nested slice", &body{In: inner{Tags: []string{"x", nul}}}, "inner.tags[1]", NUL},
		{"any map", &body{Extra: map[string]any{"k": []any{nul}}}, "extra.k[0]", NUL},
		{"map key", &body{Attrs: map[string]string{"a\nb": "x"}}, "attrs", "has a key that " + Control},
		{"multi-line allowed", &body{Name: "two\nlines"}, "", ""},
		{"plain string", nul, "", NUL},
	}
	for _, tc := range tests {
		path, msg := Decoded(tc.v)
		if path != tc.path || msg != tc.msg {
			t.Errorf("%s: Decoded = %q, %q; want %q, %q", tc.name, path, msg, tc.path, tc.msg)
		}
	}
}
