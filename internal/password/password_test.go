package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	t.Parallel()
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q does not record argon2id with m=19456,t=2,p=1", h)
	}
	if strings.Contains(h, "correct horse") {
		t.Error("hash contains the password")
	}
	if err := Verify(h, "correct horse battery"); err != nil {
		t.Errorf("Verify(right password) = %v", err)
	}
	if err := Verify(h, "correct horse batterY"); !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(wrong password) = %v, want ErrMismatch", err)
	}
	h2, _ := Hash("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: salt not random")
	}
	if err := Verify("garbage", "x"); err == nil || errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(garbage hash) = %v, want a format error", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	long := "the password must have at most 128 characters"
	short := "the password must have at least 8 characters"
	for _, tc := range []struct {
		name     string
		pw       string
		personal []string
		want     string // "" when accepted
	}{
		{"too short", "short", nil, short},
		{"longest", strings.Repeat("é", 128), nil, ""},
		{"too long", strings.Repeat("a", 129), nil, long},
		{"passphrase", "correct horse battery staple", nil, ""},
		{"demo password", "portico-demo", []string{"dev@harbor.test", "Dev Harbor"}, ""},
		{"common digits", "12345678", nil, ErrCommon.Error()},
		{"common word", "password", nil, ErrCommon.Error()},
		{"common any case", "PassWord", nil, ErrCommon.Error()},
		{"one letter repeated", "aaaaaaaa", nil, ErrCommon.Error()},
		{"common keyboard walk", "qwertyuiop", nil, ErrCommon.Error()},
		{"own email", "ada.lovelace@harbor.test", []string{"ada.lovelace@harbor.test", "Ada Lovelace"}, ErrPersonal.Error()},
		{"own short email", "dev@harbor.test", []string{"dev@harbor.test", "Dev Eloper"}, ErrPersonal.Error()},
		{"own short email in other case", "xDEV@Harbor.Test!", []string{"dev@harbor.test", "Dev Eloper"}, ErrPersonal.Error()},
		{"email local part", "x-ada.lovelace-x", []string{"ada.lovelace@harbor.test"}, ErrPersonal.Error()},
		{"part of the email", "Lovelace1815!", []string{"ada.lovelace@harbor.test"}, ErrPersonal.Error()},
		{"name", "my name is Newton!", []string{"isaac@harbor.test", "Isaac Newton"}, ErrPersonal.Error()},
		{"short name parts are fine", "ada was here 1815", []string{"ada@harbor.test", "Ada Li"}, ""},
		{"email domain is fine", "harbor lights at dusk", []string{"ada@harbor.test"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ""
			if err := Validate(tc.pw, tc.personal...); err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("Validate(%q, %q) = %q, want %q", tc.pw, tc.personal, got, tc.want)
			}
		})
	}
}

func TestCommonListShipped(t *testing.T) {
	t.Parallel()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(commonList), "\n") {
		n++
		if line != strings.ToLower(line) || len([]rune(line)) < MinLen {
			t.Fatalf("list entry %q is not lower-case or is shorter than the policy allows", line)
		}
	}
	if n < 3000 {
		t.Errorf("the list has %d passwords, want at least the top 3 000 (ASVS V6.2.4)", n)
	}
}
