// Package password hashes and checks passwords with argon2id. The parameters
// live here and only here; a hash records the ones it was made with, so they
// can be raised later without breaking existing passwords.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/argon2"
)

// Parameters of new hashes: OWASP's argon2id minimum (19 MiB, t=2, p=1).
const (
	memoryKiB = 19 * 1024
	time      = 2
	threads   = 1
	keyLen    = 32
	saltLen   = 16
)

// testMemoryKiB is the memory of new hashes once UseTestCost was called:
// still argon2id with t=2 and p=1, at a nineteenth of the memory.
const testMemoryKiB = 1024

var testCost atomic.Bool

// UseTestCost makes the new hashes of this test process cheap (1 MiB
// instead of 19): the suites of the portal create and sign in thousands of
// accounts under the race detector, where the production cost was a fifth
// of their CPU time. A hash records its parameters, so Verify is the same
// either way. pgtest.Main calls it; this package's own tests do not, and
// check the production parameters. It panics outside a test binary, so a
// server can never hash with it.
func UseTestCost() {
	if !testing.Testing() {
		panic("password: UseTestCost outside a test binary")
	}
	testCost.Store(true)
}

// Length limits of a password, in characters.
const (
	MinLen = 8
	MaxLen = 128
)

// ErrMismatch is returned by Verify when the password is wrong.
var ErrMismatch = errors.New("password does not match")

// Hash returns the PHC-format argon2id hash of pw.
func Hash(pw string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	m := uint32(memoryKiB)
	if testCost.Load() {
		m = testMemoryKiB
	}
	key := argon2.IDKey([]byte(pw), salt, time, m, threads, keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, time, threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// Verify checks pw against a hash made by Hash, in constant time.
func Verify(hash, pw string) error {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("password hash: unknown format")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("password hash: unknown version")
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return errors.New("password hash: bad parameters")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return errors.New("password hash: bad salt")
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	// A key of more than 1 KiB is none of ours (they are keyLen bytes) and
	// would only cost argon2 time.
	n := len(want)
	if err != nil || n == 0 || n > 1024 {
		return errors.New("password hash: bad key")
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(n))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}
