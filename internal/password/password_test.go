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
	for _, tc := range []struct {
		pw string
		ok bool
	}{
		{"short", false},
		{"12345678", true},
		{strings.Repeat("é", 128), true},
		{strings.Repeat("a", 129), false},
	} {
		if err := Validate(tc.pw); (err == nil) != tc.ok {
			t.Errorf("Validate(%d chars) = %v, want ok=%v", len([]rune(tc.pw)), err, tc.ok)
		}
	}
}
