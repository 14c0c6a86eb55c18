package pgtest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/portico/portico/internal/password"
)

// TestMainMakesHashesCheap: under pgtest.Main new hashes are argon2id at
// 1 MiB (t=2, p=1), and they verify like any other.
func TestMainMakesHashesCheap(t *testing.T) {
	t.Parallel()
	h, err := password.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=2,p=1$") {
		t.Errorf("hash %q does not record argon2id with m=1024,t=2,p=1", h)
	}
	if err := password.Verify(h, "correct horse battery"); err != nil {
		t.Errorf("Verify(right password) = %v", err)
	}
	if err := password.Verify(h, "correct horse batterY"); !errors.Is(err, password.ErrMismatch) {
		t.Errorf("Verify(wrong password) = %v, want ErrMismatch", err)
	}
}
