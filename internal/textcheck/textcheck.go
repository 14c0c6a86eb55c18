// Package textcheck decides whether text from outside (a form, a query, a
// path, a JSON body) may reach the domain and PostgreSQL. PostgreSQL
// refuses a NUL byte and invalid UTF-8 in text columns and parameters, so
// such input, unchecked, fails deep inside a query as a 500; checked here
// it is refused at the edge with a message naming the field.
//
// Two strictnesses: Line for one-line values (names, emails, slugs, search
// terms), which admit no control character at all, and Text for free text
// (descriptions, documents), which admits tab, line feed and carriage
// return. Both refuse NUL and invalid UTF-8. Neither allocates.
package textcheck

import (
	"unicode/utf8"
)

// Problems a value can have, as the end of a sentence naming its field:
// `The field "name" ` + problem.
const (
	InvalidUTF8 = "is not valid UTF-8 text."
	NUL         = "contains a NUL character, which is not allowed."
	Control     = "contains a control character (such as a line break), which is not allowed here."
)

// Line returns "" when s is acceptable one-line text, or the problem:
// invalid UTF-8, a NUL, or any other control character (C0, DEL, C1, and
// the Unicode line and paragraph separators).
func Line(s string) string { return check(s, false) }

// Text returns "" when s is acceptable free text, or the problem: like Line
// but tab, line feed and carriage return are allowed.
func Text(s string) string { return check(s, true) }

func check(s string, multiline bool) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			continue
		}
		switch {
		case c == 0:
			return NUL
		case c < 0x20 || c == 0x7f:
			if multiline && (c == '\t' || c == '\n' || c == '\r') {
				continue
			}
			return Control
		}
	}
	if ascii {
		return ""
	}
	if !utf8.ValidString(s) {
		return InvalidUTF8
	}
	if multiline {
		return ""
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f || r == '\u2028' || r == '\u2029' {
			return Control
		}
	}
	return ""
}
