package password

import (
	"bufio"
	_ "embed"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// commonList is the most common passwords that pass the length rule, one
// per line, lower-cased; see COMMON-PASSWORDS.md for where it comes from.
//
//go:embed common-passwords.txt
var commonList string

var (
	commonOnce sync.Once
	common     map[string]struct{}
)

// IsCommon reports whether pw is on the list of common passwords, in any
// case.
func IsCommon(pw string) bool {
	commonOnce.Do(func() {
		common = make(map[string]struct{}, 10000)
		sc := bufio.NewScanner(strings.NewReader(commonList))
		for sc.Scan() {
			if w := sc.Text(); w != "" {
				common[w] = struct{}{}
			}
		}
	})
	_, ok := common[strings.ToLower(pw)]
	return ok
}

// minPersonal is the shortest part of an email or name a password may not
// contain: shorter ones ("al", "dev") occur in too many good passwords.
const minPersonal = 4

// Errors of Validate beyond length, in words for the user.
var (
	ErrCommon   = errors.New("the password is one of the most common ones, which attackers try first")
	ErrPersonal = errors.New("the password must not contain your name or email address")
)

// Validate says what is wrong with a new password, in words for the user:
// it must have MinLen to MaxLen characters, not be one of the most common
// passwords, and not contain any of personal (the user's email address and
// name, and each part of them of minPersonal or more characters), in any
// case. Pasting is fine: nothing here cares how the password was typed.
func Validate(pw string, personal ...string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case n < MinLen:
		return fmt.Errorf("the password must have at least %d characters", MinLen)
	case n > MaxLen:
		return fmt.Errorf("the password must have at most %d characters", MaxLen)
	case IsCommon(pw):
		return ErrCommon
	}
	lower := strings.ToLower(pw)
	for _, p := range personal {
		for _, part := range personalParts(p) {
			if strings.Contains(lower, part) {
				return ErrPersonal
			}
		}
	}
	return nil
}

// personalParts returns what a password may not contain of an email
// address or a name, lower-cased: an address whole; and the name, or the
// address's local part, whole and word by word, where of minPersonal or
// more characters.
func personalParts(s string) []string {
	s = strings.ToLower(strings.TrimSpace(s))
	var out []string
	if at := strings.LastIndexByte(s, '@'); at >= 0 {
		// The whole address, however short its parts ("dev@x.io").
		out = append(out, s)
		s = s[:at]
	}
	parts := []string{s}
	parts = append(parts, strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })...)
	for _, p := range parts {
		if utf8.RuneCountInString(p) >= minPersonal {
			out = append(out, p)
		}
	}
	return out
}
