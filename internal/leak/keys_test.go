package leak_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/portico/portico/internal/leak"
)

func pemOf(t *testing.T, pub any, headers map[string]string) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: headers, Bytes: der})
}

func TestParseKeys(t *testing.T) {
	t.Parallel()
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := pemOf(t, &p256.PublicKey, nil)
	for _, tc := range []struct {
		name, data, problem string
	}{
		{"empty", "", "no PEM"},
		{"not PEM", "hello", "no PEM"},
		{"a certificate block", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})), "not a PUBLIC KEY"},
		{"RSA", string(pemOf(t, &rsaKey.PublicKey, nil)), "not an ECDSA P-256"},
		{"P-384", string(pemOf(t, &p384.PublicKey, nil)), "not an ECDSA P-256"},
		{"same key twice", string(good) + string(good), "appears twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := leak.ParseKeys([]byte(tc.data)); err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("error %v, want one saying %q", err, tc.problem)
			}
		})
	}
	// Without a Key-Id header a key's id is the SHA-256 of its DER.
	k, err := leak.ParseKeys(good)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&p256.PublicKey)
	sum := sha256.Sum256(der)
	if id := hex.EncodeToString(sum[:]); !slices.Equal(k.IDs(), []string{id}) {
		t.Errorf("ids %v, want [%s]", k.IDs(), id)
	}
	body := []byte(`[{"token":"x"}]`)
	digest := sha256.Sum256(body)
	sig, _ := ecdsa.SignASN1(rand.Reader, p256, digest[:])
	if err := k.Verify(k.IDs()[0], base64.StdEncoding.EncodeToString(sig), body); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	for name, args := range map[string][2]string{
		"unknown key id": {"nope", base64.StdEncoding.EncodeToString(sig)},
		"not base64":     {k.IDs()[0], "%%%"},
		"no signature":   {k.IDs()[0], ""},
		"garbage":        {k.IDs()[0], base64.StdEncoding.EncodeToString([]byte("garbage"))},
	} {
		if err := k.Verify(args[0], args[1], body); !errors.Is(err, leak.ErrSignature) {
			t.Errorf("%s: %v, want ErrSignature", name, err)
		}
	}
}

// TestOpen: a signed body is parsed only when its signature holds, and
// each way it can be wrong has its own error, for the answer's status.
func TestOpen(t *testing.T) {
	t.Parallel()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k, err := leak.ParseKeys(pemOf(t, &key.PublicKey, map[string]string{"Key-Id": "k1"}))
	if err != nil {
		t.Fatal(err)
	}
	sign := func(body string) string {
		sum := sha256.Sum256([]byte(body))
		sig, _ := ecdsa.SignASN1(rand.Reader, key, sum[:])
		return base64.StdEncoding.EncodeToString(sig)
	}
	many := "[" + strings.Repeat(`{"token":"x"},`, leak.MaxTokens) + `{"token":"x"}]`
	for _, tc := range []struct {
		name, body, sig string
		want            error
		n               int
	}{
		{"a report", `[{"token":"a"},{"token":"b","url":"u"}]`, "", nil, 2},
		{"empty", `[]`, "", nil, 0},
		{"not an array", `{"token":"a"}`, "", leak.ErrFormat, 0},
		{"not JSON", `token=a`, "", leak.ErrFormat, 0},
		{"too many", many, "", leak.ErrTooMany, 0},
		{"unsigned", `[{"token":"a"}]`, sign(`[{"token":"b"}]`), leak.ErrSignature, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig := tc.sig
			if sig == "" {
				sig = sign(tc.body)
			}
			found, err := k.Open("k1", sig, []byte(tc.body))
			if !errors.Is(err, tc.want) || len(found) != tc.n {
				t.Errorf("Open = %d strings, %v; want %d, %v", len(found), err, tc.n, tc.want)
			}
		})
	}
}
