package credential_test

import (
	"context"
	"testing"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/token"
)

// BenchmarkVerifyCached is the gateway's cost of a valid token that is in
// the cache: parse, checksum, HMAC, lookup, state checks, last-use note.
func BenchmarkVerifyCached(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	v := credential.NewVerifier(f.st, f.hasher)
	plain := f.token(b, "dev@harbor.test", "sandbox", "fleet/fleet:read").Plaintext
	if _, err := v.Verify(ctx, plain, "sandbox", "192.0.2.1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, plain, "sandbox", "192.0.2.1"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyWrongChecksum is the cost of refusing garbage of the
// right shape: no hashing, no lookup.
func BenchmarkVerifyWrongChecksum(b *testing.B) {
	v := credential.NewVerifier(nil, token.NewHasher(secret))
	good, _ := token.New(token.KindSandbox)
	bad := good[:len(good)-6] + "000000"
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, bad, "sandbox", ""); err == nil {
			b.Fatal("accepted")
		}
	}
}
