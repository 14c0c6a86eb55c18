package leak

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/portico/portico/internal/token"
)

// FuzzReport sends arbitrary report bodies with arbitrary key ids and
// signatures. Open must never panic, must accept only a body this test
// signed, with its key's id, and must parse nothing of any other; what a
// body carries (signed or not: the scanner is trusted to sign, not to be
// well-formed) must decode to at most MaxTokens strings or a clear error;
// and the url and source kept in mails and the audit must hold no control
// character, no more than maxWhere characters and no reported credential.
func FuzzReport(f *testing.F) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		f.Fatal(err)
	}
	keys, err := ParseKeys(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Key-Id": "k1"}, Bytes: der}))
	if err != nil {
		f.Fatal(err)
	}
	tok, err := token.New(token.KindLive)
	if err != nil {
		f.Fatal(err)
	}
	signed := map[string]bool{}
	sign := func(body string) string {
		sum := sha256.Sum256([]byte(body))
		sig, err := ecdsa.SignASN1(rand.Reader, priv, sum[:])
		if err != nil {
			f.Fatal(err)
		}
		signed[body] = true
		return base64.StdEncoding.EncodeToString(sig)
	}
	report := `[{"token":"` + tok + `","type":"portico_live","url":"https://example.test/blob/` + tok + `","source":"content"}]`
	good := sign(report)
	f.Add("k1", good, []byte(report))
	f.Add(" k1 ", good, []byte(report))
	f.Add("k2", good, []byte(report))
	f.Add("k1", good, []byte(report+" "))
	f.Add("k1", good[:len(good)-4], []byte(report))
	f.Add("k1", "", []byte(report))
	f.Add("k1", "%%%", []byte(report))
	empty := sign(`[]`)
	f.Add("k1", empty, []byte(`[]`))
	f.Add("k1", sign(`{"token":"x"}`), []byte(`{"token":"x"}`))
	f.Add("k1", sign(`null`), []byte(`null`))
	f.Add("k1", empty, []byte(`[{"token":1}]`))
	f.Add("", "", []byte(`[{"token":"x","url":"a\u0000b\nc`+strings.Repeat("é", 600)+`"}]`))
	f.Add("", "", []byte(`[{"url":"https://e.test/?t=`+url.QueryEscape(tok)+`","source":"%70tc_live_`+tok[9:]+`"}]`))
	f.Add("", "", []byte("["+strings.Repeat(`{},`, MaxTokens)+`{}]`))
	f.Fuzz(func(t *testing.T, keyID, sig string, body []byte) {
		found, err := keys.Open(keyID, sig, body)
		switch {
		case err == nil:
			if !signed[string(body)] || strings.TrimSpace(keyID) != "k1" {
				t.Fatalf("accepted a body this test did not sign (key id %q, signature %q)", keyID, sig)
			}
		case !signed[string(body)] && !errors.Is(err, ErrSignature):
			t.Fatalf("an unsigned body was refused with %v, not ErrSignature: it was parsed", err)
		case !errors.Is(err, ErrSignature) && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooMany):
			t.Fatalf("Open refused with %v", err)
		}
		if err != nil {
			// Past the signature, as if a trusted scanner had signed it.
			found, err = decode(body)
			if err != nil {
				if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooMany) {
					t.Fatalf("decode refused with %v", err)
				}
				return
			}
		}
		if len(found) > MaxTokens {
			t.Fatalf("%d strings decoded, over MaxTokens", len(found))
		}
		for _, fd := range found {
			for _, in := range []string{fd.URL, fd.Source} {
				out := clean(in)
				if n := utf8.RuneCountInString(out); n > maxWhere+1 {
					t.Fatalf("clean kept %d characters", n)
				}
				if i := strings.IndexFunc(out, unicode.IsControl); i >= 0 {
					t.Fatalf("clean(%q) = %q keeps a control character", in, out)
				}
				if p, err := token.Parse(strings.TrimSpace(fd.Token)); err == nil && strings.Contains(out, p.Plaintext()) {
					t.Fatalf("clean(%q) = %q keeps the reported credential", in, out)
				}
			}
		}
	})
}
