package token

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
)

var allKinds = []Kind{KindSandbox, KindLive, KindClientSecret, KindAccessToken, KindInvite, KindPasswordReset, KindEmailChange, KindResourceServer}

// mustNew mints a token or fails the test.
func mustNew(t testing.TB, k Kind) string {
	t.Helper()
	s, err := New(k)
	if err != nil {
		t.Fatalf("New(%q): %v", k, err)
	}
	return s
}

// withCheck appends the correct check characters to head ("ptc_<kind>_<body>"),
// computed independently of Parse with crc32.ChecksumIEEE.
func withCheck(head string) string {
	var check [checkLen]byte
	encodeCheck(&check, crc32.ChecksumIEEE([]byte(head)))
	return head + string(check[:])
}

// decodeBase62 is an oracle for the encoding, independent of the package's
// long division: it reads s with math/big and the documented alphabet.
func decodeBase62(t testing.TB, s string) *big.Int {
	t.Helper()
	n := new(big.Int)
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(alphabet, s[i])
		if d < 0 {
			t.Fatalf("character %d is not base62", i)
		}
		n.Mul(n, big.NewInt(62))
		n.Add(n, big.NewInt(int64(d)))
	}
	return n
}

func TestNewParseRoundTrip(t *testing.T) {
	t.Parallel()
	wantLen := map[Kind]int{
		KindSandbox:        57,
		KindLive:           58,
		KindClientSecret:   56,
		KindAccessToken:    56,
		KindInvite:         57,
		KindPasswordReset:  57,
		KindEmailChange:    57,
		KindResourceServer: 57,
	}
	for _, k := range allKinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			if got := Len(k); got != wantLen[k] {
				t.Errorf("Len(%q) = %d, want %d", k, got, wantLen[k])
			}
			seen := make(map[string]bool)
			for range 200 {
				s := mustNew(t, k)
				if len(s) != wantLen[k] {
					t.Fatalf("len(New(%q)) = %d, want %d", k, len(s), wantLen[k])
				}
				if want := "ptc_" + string(k) + "_"; !strings.HasPrefix(s, want) {
					t.Fatalf("New(%q) does not start with %q", k, want)
				}
				if seen[s] {
					t.Fatalf("New(%q) returned the same token twice", k)
				}
				seen[s] = true
				p, err := Parse(s)
				if err != nil {
					t.Fatalf("Parse(New(%q)): %v", k, err)
				}
				if p.Kind != k {
					t.Errorf("Parse(New(%q)).Kind = %q", k, p.Kind)
				}
				if p.Plaintext() != s {
					t.Errorf("Parse(New(%q)).Plaintext() differs from the input", k)
				}
				// The checksum is the CRC32 of what precedes it, by an
				// independent computation.
				head := s[:len(s)-checkLen]
				if withCheck(head) != s {
					t.Errorf("New(%q): check characters are not the CRC32 of the rest", k)
				}
			}
		})
	}
}

func TestNewUnknownKind(t *testing.T) {
	t.Parallel()
	for _, k := range []Kind{"", "xyz", "SBX", "pat", "live_"} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			if s, err := New(k); err == nil || s != "" {
				t.Errorf("New(%q) = %q, %v; want an error", k, s, err)
			}
			if k.Valid() {
				t.Errorf("Kind(%q).Valid() = true", k)
			}
			if Len(k) != 0 {
				t.Errorf("Len(%q) = %d, want 0", k, Len(k))
			}
		})
	}
}

func TestEncodeBodyMatchesBigInt(t *testing.T) {
	t.Parallel()
	cases := map[string][randBytes]byte{"zero": {}, "one": {randBytes - 1: 1}}
	var ones [randBytes]byte
	for i := range ones {
		ones[i] = 0xff
	}
	cases["max"] = ones
	for i := range 50 {
		var b [randBytes]byte
		rand.Read(b[:])
		cases[fmt.Sprint("random", i)] = b
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var out [bodyLen]byte
			encodeBody(&out, b)
			got := decodeBase62(t, string(out[:]))
			if want := new(big.Int).SetBytes(b[:]); got.Cmp(want) != 0 {
				t.Errorf("encodeBody decodes to %v, want %v", got, want)
			}
		})
	}
	if got, want := decodeBase62(t, maxBody), new(big.Int).SetBytes(ones[:]); got.Cmp(want) != 0 {
		t.Errorf("maxBody decodes to %v, want 2^256-1", got)
	}
}

func TestCRCStringMatchesStdlib(t *testing.T) {
	t.Parallel()
	data := make([]byte, 300)
	rand.Read(data)
	for n := range len(data) + 1 {
		if got, want := crcString(string(data[:n])), crc32.ChecksumIEEE(data[:n]); got != want {
			t.Errorf("crcString of %d bytes = %08x, want %08x", n, got, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	valid := mustNew(t, KindSandbox)
	head, body := valid[:len("ptc_sbx_")], valid[len("ptc_sbx_"):len(valid)-checkLen]
	replaceBody := func(i int, with string) string {
		return withCheck(head + body[:i] + with + body[i+len(with):])
	}
	swapKind := func(s string, from, to Kind) string {
		return "ptc_" + string(to) + s[len("ptc_")+len(from):]
	}
	cs := mustNew(t, KindClientSecret)
	inv := mustNew(t, KindInvite)

	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrMalformed},
		{"garbage", "hello, world", ErrMalformed},
		{"prefix only", "ptc_", ErrMalformed},
		{"prefix and kind only", "ptc_sbx_", ErrMalformed},
		{"garbage of the right length", strings.Repeat("a", len(valid)), ErrMalformed},
		{"bearer scheme left on", "Bearer " + valid, ErrMalformed},
		{"unknown kind", withCheck("ptc_xyz_" + body), ErrMalformed},
		{"unknown kind of every length", withCheck("ptc_ab_" + body), ErrMalformed},
		{"kind in upper case", withCheck("ptc_SBX_" + body), ErrMalformed},
		{"prefix in upper case", withCheck("PTC_sbx_" + body), ErrMalformed},
		{"other vendor prefix", withCheck("ghp_sbx_" + body), ErrMalformed},
		{"missing separator", withCheck("ptc_sbx" + body + "0"), ErrMalformed},
		{"separator is a dash", withCheck("ptc-sbx-" + body), ErrMalformed},
		{"dash in body", replaceBody(5, "-"), ErrMalformed},
		{"underscore in body", replaceBody(5, "_"), ErrMalformed},
		{"plus in body", replaceBody(5, "+"), ErrMalformed},
		{"slash in body", replaceBody(5, "/"), ErrMalformed},
		{"equals sign in body", replaceBody(42, "="), ErrMalformed},
		{"space in body", replaceBody(0, " "), ErrMalformed},
		{"NUL in body", replaceBody(20, "\x00"), ErrMalformed},
		{"non-ASCII in body", replaceBody(20, "é"), ErrMalformed},
		{"byte 0xff in body", replaceBody(20, "\xff"), ErrMalformed},
		{"non-base62 in check", valid[:len(valid)-1] + "-", ErrMalformed},
		{"body above 2^256-1", withCheck(head + strings.Repeat("z", bodyLen)), ErrMalformed},
		{"extra suffix", valid + "x", ErrMalformed},
		{"doubled", valid + valid, ErrMalformed},
		{"leading space", " " + valid, ErrMalformed},
		{"trailing space", valid + " ", ErrMalformed},
		{"trailing newline", valid + "\n", ErrMalformed},
		{"trailing CRLF", valid + "\r\n", ErrMalformed},
		{"leading tab", "\t" + valid, ErrMalformed},
		{"quoted", `"` + valid[1:len(valid)-1] + `"`, ErrMalformed},
		{"last character changed", valid[:len(valid)-1] + otherDigit(valid[len(valid)-1]), ErrChecksum},
		{"check all zero", valid[:len(valid)-checkLen] + "000000", ErrChecksum},
		{"check above 2^32", valid[:len(valid)-checkLen] + "zzzzzz", ErrChecksum},
		{"two body characters swapped", withoutCheckFix(valid, 10, 11), ErrChecksum},
		{"kind sbx relabelled inv", swapKind(valid, KindSandbox, KindInvite), ErrChecksum},
		{"kind inv relabelled sbx", swapKind(inv, KindInvite, KindSandbox), ErrChecksum},
		{"kind cs relabelled at", swapKind(cs, KindClientSecret, KindAccessToken), ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
			if p != (Parsed{}) {
				t.Errorf("Parse returned a non-zero Parsed with an error")
			}
			if err != nil && tt.in != "" && strings.Contains(err.Error(), tt.in) {
				t.Errorf("error message contains the input")
			}
		})
	}
}

// otherDigit returns a base62 digit different from c.
func otherDigit(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

// withoutCheckFix swaps the body characters at i and j (counted from the
// start of the body) of an sbx token, keeping the old check.
func withoutCheckFix(s string, i, j int) string {
	b := []byte(s)
	off := len("ptc_sbx_")
	if b[off+i] == b[off+j] {
		b[off+j] = otherDigit(b[off+j])[0]
	}
	b[off+i], b[off+j] = b[off+j], b[off+i]
	return string(b)
}

func TestParseRejectsEveryTruncation(t *testing.T) {
	t.Parallel()
	for _, k := range allKinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, k)
			for i := range len(s) {
				if _, err := Parse(s[:i]); !errors.Is(err, ErrMalformed) {
					t.Errorf("Parse(first %d of %d characters) = %v, want ErrMalformed", i, len(s), err)
				}
				if _, err := Parse(s[i+1:]); !errors.Is(err, ErrMalformed) {
					t.Errorf("Parse(last %d of %d characters) = %v, want ErrMalformed", len(s)-i-1, len(s), err)
				}
				if _, err := Parse(s[:i] + s[i+1:]); !errors.Is(err, ErrMalformed) {
					t.Errorf("Parse(without character %d) = %v, want ErrMalformed", i, err)
				}
			}
		})
	}
}

// TestParseChecksumCoversEveryCharacter replaces each body and check
// character of a valid token by every other base62 digit, keeping the old
// check: each must fail, proving the checksum covers every position.
func TestParseChecksumCoversEveryCharacter(t *testing.T) {
	t.Parallel()
	for _, k := range allKinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, k)
			start := len(s) - bodyLen - checkLen
			b := []byte(s)
			for pos := start; pos < len(s); pos++ {
				orig := b[pos]
				for d := 0; d < len(alphabet); d++ {
					if alphabet[d] == orig {
						continue
					}
					b[pos] = alphabet[d]
					mutated := string(b)
					want := ErrChecksum
					if string(b[start:start+bodyLen]) > maxBody {
						// Only a first digit above maxBody's gets here.
						want = ErrMalformed
					}
					if _, err := Parse(mutated); err != want {
						t.Errorf("position %d set to %q: Parse = %v, want %v", pos-start, alphabet[d], err, want)
					}
				}
				b[pos] = orig
			}
		})
	}
}

func TestErrorsAreSentinels(t *testing.T) {
	t.Parallel()
	// The gateway maps these to 401 with errors.Is; they must stay distinct
	// and say nothing about the input.
	if errors.Is(ErrMalformed, ErrChecksum) || errors.Is(ErrChecksum, ErrMalformed) {
		t.Error("ErrMalformed and ErrChecksum are not distinct")
	}
	for _, err := range []error{ErrMalformed, ErrChecksum} {
		if strings.Contains(err.Error(), "ptc_") {
			t.Errorf("%q mentions a token", err)
		}
	}
}

func TestHint(t *testing.T) {
	t.Parallel()
	sbx := mustNew(t, KindSandbox)
	live := mustNew(t, KindLive)
	cs := mustNew(t, KindClientSecret)
	at := mustNew(t, KindAccessToken)
	inv := mustNew(t, KindInvite)
	badCheck := sbx[:len(sbx)-1] + otherDigit(sbx[len(sbx)-1])
	tests := []struct {
		name, in, want string
	}{
		{"sandbox", sbx, "ptc_sbx_…" + sbx[len(sbx)-4:]},
		{"live", live, "ptc_live_…" + live[len(live)-4:]},
		{"client secret", cs, "ptc_cs_…" + cs[len(cs)-4:]},
		{"access token", at, "ptc_at_…" + at[len(at)-4:]},
		{"invite", inv, "ptc_inv_…" + inv[len(inv)-4:]},
		{"bad checksum still hinted", badCheck, "ptc_sbx_…" + badCheck[len(badCheck)-4:]},
		{"empty", "", "…"},
		{"some other secret", "correct horse battery staple", "…"},
		{"truncated", sbx[:len(sbx)-1], "…"},
		{"with whitespace", sbx + "\n", "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Hint(tt.in); got != tt.want {
				t.Errorf("Hint = %q, want %q", got, tt.want)
			}
		})
	}
	for _, s := range []string{sbx, live, cs, at, inv} {
		p, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if p.Hint() != Hint(s) {
			t.Errorf("Parsed.Hint() = %q, want %q", p.Hint(), Hint(s))
		}
	}
}

// TestParsedDoesNotPrintSecret guards the redaction of Parsed in fmt and
// log/slog output, where a careless log line would otherwise leak the token.
func TestParsedDoesNotPrintSecret(t *testing.T) {
	t.Parallel()
	s := mustNew(t, KindLive)
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	secret := s[len("ptc_live_") : len(s)-checkLen]
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%50v", "%-v"} {
		t.Run(verb, func(t *testing.T) {
			t.Parallel()
			out := fmt.Sprintf(verb, p)
			if strings.Contains(out, secret) {
				t.Errorf("Sprintf(%q, parsed) = %q contains the secret", verb, out)
			}
			if !strings.Contains(out, p.Hint()) {
				t.Errorf("Sprintf(%q, parsed) = %q, want the hint %q in it", verb, out, p.Hint())
			}
		})
	}
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		t.Run("slog "+name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			slog.New(newHandler(&buf)).Info("auth", "token", p, "ptr", &p)
			if strings.Contains(buf.String(), secret) {
				t.Errorf("slog output %q contains the secret", buf.String())
			}
		})
	}
}

// TestHashKnownAnswer pins the stored-hash scheme: changing it would orphan
// every credential in every database, so it must only change on purpose.
func TestHashKnownAnswer(t *testing.T) {
	t.Parallel()
	key := []byte("0123456789abcdef0123456789abcdef")
	plaintext := "ptc_sbx_0000000000000000000000000000000000000000000" // shape is irrelevant to Hash
	kdf := hmac.New(sha256.New, key)
	kdf.Write([]byte("portico/token/hmac-sha256/v1"))
	mac := hmac.New(sha256.New, kdf.Sum(nil))
	mac.Write([]byte(plaintext))
	want := mac.Sum(nil)
	got := NewHasher(key).Hash(plaintext)
	if !bytes.Equal(got, want) {
		t.Errorf("Hash = %x, want HMAC-SHA256(HMAC-SHA256(key, info), plaintext) = %x", got, want)
	}
	const pinned = "5c6bcddc24bb847d82a869712abf3be6dcd77113894c15d192b833ab88d9d8e3"
	if hex.EncodeToString(got) != pinned {
		t.Errorf("Hash = %x, want pinned %s", got, pinned)
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	keyA := bytes.Repeat([]byte{'a'}, 32)
	keyB := bytes.Repeat([]byte{'b'}, 32)
	s1, s2 := mustNew(t, KindSandbox), mustNew(t, KindSandbox)
	a1, a2, b1 := NewHasher(keyA), NewHasher(keyA), NewHasher(keyB)
	tests := []struct {
		name      string
		x, y      []byte
		wantEqual bool
	}{
		{"same key, same hasher", a1.Hash(s1), a1.Hash(s1), true},
		{"same key, two hashers", a1.Hash(s1), a2.Hash(s1), true},
		{"different keys", a1.Hash(s1), b1.Hash(s1), false},
		{"different tokens", a1.Hash(s1), a1.Hash(s2), false},
		{"empty input", a1.Hash(""), a2.Hash(""), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if len(tt.x) != 32 || len(tt.y) != 32 {
				t.Fatalf("hash lengths %d and %d, want 32", len(tt.x), len(tt.y))
			}
			if bytes.Equal(tt.x, tt.y) != tt.wantEqual {
				t.Errorf("equal = %v, want %v", !tt.wantEqual, tt.wantEqual)
			}
		})
	}
	t.Run("key is copied", func(t *testing.T) {
		t.Parallel()
		key := bytes.Repeat([]byte{'c'}, 32)
		h := NewHasher(key)
		before := h.Hash(s1)
		key[0] = 'd'
		if !bytes.Equal(before, h.Hash(s1)) {
			t.Error("changing the caller's key slice changed the Hasher")
		}
	})
	t.Run("long input does not disturb later hashes", func(t *testing.T) {
		t.Parallel()
		h := NewHasher(keyA)
		want := h.Hash(s1)
		h.Hash(strings.Repeat("x", 10000))
		if !bytes.Equal(want, h.Hash(s1)) {
			t.Error("hash changed after a long input")
		}
	})
}

func TestNewHasherEmptyKeyPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("NewHasher(nil) did not panic")
		}
	}()
	NewHasher(nil)
}

func TestHashConcurrent(t *testing.T) {
	t.Parallel()
	h := NewHasher(bytes.Repeat([]byte{'k'}, 32))
	tokens := make([]string, 64)
	want := make([][]byte, len(tokens))
	for i := range tokens {
		tokens[i] = mustNew(t, allKinds[i%len(allKinds)])
		want[i] = NewHasher(bytes.Repeat([]byte{'k'}, 32)).Hash(tokens[i])
	}
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for n := range 500 {
				i := (g*7 + n) % len(tokens)
				if got := h.Hash(tokens[i]); !bytes.Equal(got, want[i]) {
					t.Errorf("goroutine %d: Hash(tokens[%d]) = %x, want %x", g, i, got, want[i])
					return
				}
			}
		})
	}
	wg.Wait()
}

func FuzzParse(f *testing.F) {
	for _, k := range allKinds {
		s := mustNew(f, k)
		f.Add(s)
		f.Add(s[:len(s)-1])
		f.Add(s + "0")
		f.Add(s[:len(s)-1] + otherDigit(s[len(s)-1]))
	}
	f.Add("")
	f.Add("ptc_")
	f.Add("ptc_xyz_" + strings.Repeat("0", bodyLen+checkLen))
	f.Add(withCheck("ptc_sbx_" + strings.Repeat("z", bodyLen)))
	f.Add(withCheck("ptc_sbx_" + maxBody))
	f.Add(withCheck("ptc_live_" + strings.Repeat("0", bodyLen)))
	f.Add("Bearer ptc_sbx_")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		hint := Hint(s)
		if err != nil {
			if err != ErrMalformed && err != ErrChecksum {
				t.Fatalf("Parse returned %v, want ErrMalformed or ErrChecksum", err)
			}
			if p != (Parsed{}) {
				t.Fatal("Parse returned a non-zero Parsed with an error")
			}
			if err == ErrMalformed && hint != "…" {
				t.Fatalf("Hint of a malformed string = %q, want …", hint)
			}
			return
		}
		// Re-validate with independent code: the kind, the shape, the body's
		// range and the checksum.
		if !p.Kind.Valid() {
			t.Fatalf("accepted kind %q", p.Kind)
		}
		if p.Plaintext() != s {
			t.Fatal("Plaintext differs from the input")
		}
		head := "ptc_" + string(p.Kind) + "_"
		if !strings.HasPrefix(s, head) || len(s) != len(head)+bodyLen+checkLen || len(s) != Len(p.Kind) {
			t.Fatalf("accepted a string of the wrong shape")
		}
		body := s[len(head) : len(s)-checkLen]
		if decodeBase62(t, body).BitLen() > 256 {
			t.Fatal("accepted a body above 2^256-1")
		}
		if withCheck(s[:len(s)-checkLen]) != s {
			t.Fatal("accepted a wrong checksum")
		}
		if !strings.HasPrefix(hint, head+"…") || !strings.HasSuffix(hint, s[len(s)-4:]) {
			t.Fatalf("Hint = %q", hint)
		}
		if q, err := Parse(p.Plaintext()); err != nil || q != p {
			t.Fatalf("re-parse = %v, %v", q, err)
		}
	})
}

var (
	sinkParsed Parsed
	sinkErr    error
	sinkBytes  []byte
	sinkString string
)

func BenchmarkParseValid(b *testing.B) {
	s := mustNew(b, KindSandbox)
	b.ReportAllocs()
	for b.Loop() {
		sinkParsed, sinkErr = Parse(s)
	}
	if sinkErr != nil {
		b.Fatal(sinkErr)
	}
}

func BenchmarkParseBadChecksum(b *testing.B) {
	s := mustNew(b, KindSandbox)
	s = s[:len(s)-1] + otherDigit(s[len(s)-1])
	b.ReportAllocs()
	for b.Loop() {
		sinkParsed, sinkErr = Parse(s)
	}
	if sinkErr != ErrChecksum {
		b.Fatal(sinkErr)
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(bytes.Repeat([]byte{'k'}, 32))
	s := mustNew(b, KindSandbox)
	b.ReportAllocs()
	for b.Loop() {
		sinkBytes = h.Hash(s)
	}
}

func BenchmarkHashParallel(b *testing.B) {
	h := NewHasher(bytes.Repeat([]byte{'k'}, 32))
	s := mustNew(b, KindSandbox)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var out []byte
		for pb.Next() {
			out = h.Hash(s)
		}
		_ = out
	})
}

func BenchmarkNew(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sinkString, sinkErr = New(KindSandbox)
	}
}

func TestSumEqualsHash(t *testing.T) {
	t.Parallel()
	h := NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	for _, s := range []string{"", "x", mustNew(t, KindSandbox), mustNew(t, KindLive), strings.Repeat("y", 1000)} {
		sum := h.Sum(s)
		if !bytes.Equal(sum[:], h.Hash(s)) {
			t.Errorf("Sum(%d bytes) differs from Hash", len(s))
		}
	}
}

func BenchmarkSum(b *testing.B) {
	h := NewHasher([]byte("0123456789abcdef0123456789abcdef"))
	s := mustNew(b, KindSandbox)
	b.ReportAllocs()
	for b.Loop() {
		h.Sum(s)
	}
}

func TestPublicIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, prefix := range []string{ClientIDPrefix, ResourceServerIDPrefix} {
		for range 100 {
			id, err := NewPublicID(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if !ValidPublicID(prefix, id) || seen[id] {
				t.Fatalf("NewPublicID(%q) = %q: invalid or repeated", prefix, id)
			}
			seen[id] = true
		}
	}
	id, _ := NewPublicID(ClientIDPrefix)
	for _, bad := range []string{"", ClientIDPrefix, id[:len(id)-1], id + "a", ResourceServerIDPrefix + id[4:], id[:10] + "-" + id[11:]} {
		if ValidPublicID(ClientIDPrefix, bad) {
			t.Errorf("ValidPublicID(%q) = true", bad)
		}
	}
}
