// Package token is the one place that knows the shape of Portico's
// credentials: how they are minted, recognised, checksummed, hashed for
// storage and shortened for display. Nothing else should slice, compare or
// pattern-match a token string, so that the format can change in one place.
//
// A credential reads
//
//	ptc_<kind>_<body><check>
//
// where body is 32 bytes from crypto/rand written in base62 (0-9A-Za-z) and
// zero-padded to 43 characters, and check is the CRC32 (IEEE) of everything
// before it, written in base62 and zero-padded to 6 characters. The fixed
// prefix lets secret scanners find leaked tokens; the checksum lets the
// gateway turn away typos and garbage without a cache or database lookup.
package token

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"sync"
)

// Kind says what a credential is for. It is part of the plaintext so that a
// token pasted into the wrong place (a sandbox token sent to a live route, an
// invite link used as a bearer token) can be told apart before any lookup.
type Kind string

// The kinds of credential Portico issues. The values are what appears in the
// plaintext, so they must never change once tokens of that kind exist.
const (
	// KindSandbox is a personal access token for the sandbox environment.
	KindSandbox Kind = "sbx"
	// KindLive is a personal access token for the live environment.
	KindLive Kind = "live"
	// KindClientSecret is an OAuth client secret.
	KindClientSecret Kind = "cs"
	// KindAccessToken is an OAuth access token from the client credentials grant.
	KindAccessToken Kind = "at"
	// KindInvite is the secret in an invitation link.
	KindInvite Kind = "inv"
	// KindPasswordReset is the secret in a password reset link.
	KindPasswordReset Kind = "rst"
	// KindEmailChange is the secret in a link that confirms a new sign-in
	// email.
	KindEmailChange Kind = "eml"
	// KindResourceServer is the secret of a resource server, which
	// introspects and revokes OAuth access tokens.
	KindResourceServer Kind = "srv"
)

// Valid reports whether k is one of the kinds Portico issues, so callers
// handling a Kind from outside (a form, a database row) can reject others.
func (k Kind) Valid() bool {
	_, ok := canonical(k)
	return ok
}

// canonical returns the package constant equal to k (not k itself, which
// may be a conversion of a caller's bytes) and whether there is one: the
// one list of the kinds Portico issues.
func canonical(k Kind) (Kind, bool) {
	switch k {
	case KindSandbox:
		return KindSandbox, true
	case KindLive:
		return KindLive, true
	case KindClientSecret:
		return KindClientSecret, true
	case KindAccessToken:
		return KindAccessToken, true
	case KindInvite:
		return KindInvite, true
	case KindPasswordReset:
		return KindPasswordReset, true
	case KindEmailChange:
		return KindEmailChange, true
	case KindResourceServer:
		return KindResourceServer, true
	}
	return "", false
}

// Errors returned by Parse. They are sentinels without the token text, so
// that wrapping or logging an error can never leak a credential.
var (
	// ErrMalformed means the string does not have the shape of a Portico
	// credential: wrong prefix, unknown kind, wrong length or a character
	// outside base62. It is most likely not a Portico token at all.
	ErrMalformed = errors.New("token: malformed credential")
	// ErrChecksum means the string has the right shape but its checksum does
	// not match: a typo, a truncated copy or a forged token.
	ErrChecksum = errors.New("token: credential checksum mismatch")
)

// Layout of the plaintext.
const (
	prefix     = "ptc_"
	randBytes  = 32 // 256 bits of entropy
	bodyLen    = 43 // ceil(256 / log2(62)): 62^43 > 2^256
	checkLen   = 6  // 62^6 > 2^32
	fixedLen   = len(prefix) + 1 + bodyLen + checkLen
	minKindLen = 2
	maxKindLen = 4
)

// alphabet orders digits by ASCII value, so comparing two encodings of the
// same width as strings compares the numbers they encode.
const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// invalid marks bytes outside the alphabet in digitValue.
const invalid = 0xff

// digitValue maps a byte to its base62 value, or invalid; a table keeps
// Parse branch-light and allocation-free.
var digitValue = func() (t [256]byte) {
	for i := range t {
		t[i] = invalid
	}
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// maxBody is the encoding of 2^256-1, the largest body New can produce.
// Bodies above it are rejected so that Parse accepts exactly what New can
// mint, not other strings that merely look alike.
var maxBody = func() string {
	var b [randBytes]byte
	for i := range b {
		b[i] = 0xff
	}
	var out [bodyLen]byte
	encodeBody(&out, b)
	return string(out[:])
}()

// Len returns the length of every plaintext of kind k, or 0 for an unknown
// kind. Fixed lengths let forms and scanners validate input cheaply.
func Len(k Kind) int {
	if !k.Valid() {
		return 0
	}
	return fixedLen + len(k)
}

// New mints a fresh credential of kind k and returns its plaintext. The
// plaintext is to be shown once and stored only as Hasher.Hash of it.
func New(k Kind) (plaintext string, err error) {
	if !k.Valid() {
		// The kind is a program constant, not a secret, so it can be named.
		return "", fmt.Errorf("token: unknown kind %q", string(k))
	}
	var random [randBytes]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("token: reading random bytes: %w", err)
	}
	n := Len(k)
	buf := make([]byte, 0, n)
	buf = append(buf, prefix...)
	buf = append(buf, k...)
	buf = append(buf, '_')
	var body [bodyLen]byte
	encodeBody(&body, random)
	buf = append(buf, body[:]...)
	clear(random[:])
	var check [checkLen]byte
	encodeCheck(&check, crc32.ChecksumIEEE(buf))
	buf = append(buf, check[:]...)
	return string(buf), nil
}

// encodeBody writes b, read as a big-endian number, in base62 with leading
// zeros to fill out. Long division by 62 over the bytes is slow next to
// math/big but needs no allocation and runs once per minted token.
func encodeBody(out *[bodyLen]byte, b [randBytes]byte) {
	for i := bodyLen - 1; i >= 0; i-- {
		var rem uint
		for j := range b {
			cur := rem<<8 | uint(b[j])
			b[j] = byte(cur / 62) // #nosec G115 -- rem < 62, so cur < 62<<8 and cur/62 < 256
			rem = cur % 62
		}
		out[i] = alphabet[rem]
	}
}

// encodeCheck writes sum in base62, zero-padded to checkLen characters.
func encodeCheck(out *[checkLen]byte, sum uint32) {
	v := uint64(sum)
	for i := checkLen - 1; i >= 0; i-- {
		out[i] = alphabet[v%62]
		v /= 62
	}
}

// Parsed is a credential that passed Parse: well-formed and with a correct
// checksum, though not yet known to exist, be unexpired or be unrevoked.
// It formats as its Hint, so a Parsed value that ends up in a log line does
// not leak the secret.
type Parsed struct {
	// Kind is the kind named in the credential's prefix.
	Kind Kind
	// plaintext is unexported so it can only be reached on purpose.
	plaintext string
}

// Plaintext returns the full credential, for hashing with Hasher.Hash. It
// is a method rather than a field so that printing a Parsed cannot reveal it.
func (p Parsed) Plaintext() string { return p.plaintext }

// Hint returns the display form of the credential; see the function Hint.
func (p Parsed) Hint() string { return Hint(p.plaintext) }

// String returns the Hint, so that a Parsed used as a string shows no secret.
func (p Parsed) String() string { return p.Hint() }

// Format prints the Hint for every verb (%v, %+v, %#v, %s, %q, %x, %d …), so
// that no fmt or log/slog text output of a Parsed prints the secret.
func (p Parsed) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", p.Hint())
		return
	}
	_, _ = f.Write([]byte(p.Hint())) // fmt's own buffer: its Write does not fail, and Format has no error to return
}

// Parse checks that s is a well-formed Portico credential with a correct
// checksum, without I/O and without allocating, because the gateway calls it
// on every request before it spends a cache or database lookup. It returns
// ErrMalformed or ErrChecksum, never an error that contains s.
func Parse(s string) (Parsed, error) {
	k, ok := kindOf(s)
	if !ok {
		return Parsed{}, ErrMalformed
	}
	tail := s[len(s)-bodyLen-checkLen:]
	for i := 0; i < len(tail); i++ {
		if digitValue[tail[i]] == invalid {
			return Parsed{}, ErrMalformed
		}
	}
	if tail[:bodyLen] > maxBody {
		return Parsed{}, ErrMalformed
	}
	var want uint64
	for i := bodyLen; i < len(tail); i++ {
		want = want*62 + uint64(digitValue[tail[i]])
	}
	if want != uint64(crcString(s[:len(s)-checkLen])) {
		return Parsed{}, ErrChecksum
	}
	return Parsed{Kind: k, plaintext: s}, nil
}

// kindOf checks the prefix of s and returns its kind. The length of s fixes
// the length of the kind, so only one candidate is compared; it returns the
// package constant rather than a slice of s.
func kindOf(s string) (Kind, bool) {
	kl := len(s) - fixedLen
	if kl < minKindLen || kl > maxKindLen || s[:len(prefix)] != prefix || s[len(prefix)+kl] != '_' {
		return "", false
	}
	return canonical(Kind(s[len(prefix) : len(prefix)+kl]))
}

// crcTables are the slicing-by-8 tables for the IEEE polynomial: crcTables[0]
// is crc32's own byte table, crcTables[j] advances a byte through j more
// zero bytes.
var crcTables = func() (t [8]crc32.Table) {
	t[0] = *crc32.MakeTable(crc32.IEEE)
	for i := range 256 {
		crc := t[0][i]
		for j := 1; j < 8; j++ {
			crc = t[0][byte(crc)] ^ crc>>8
			t[j][i] = crc
		}
	}
	return t
}()

// crcString is crc32.ChecksumIEEE for a string. crc32 only takes []byte, and
// converting the ~50-byte prefix would allocate on every request; slicing by
// eight bytes keeps this at about 20ns, where a byte-wise loop takes 80ns.
func crcString(s string) uint32 {
	crc := ^uint32(0)
	for ; len(s) >= 8; s = s[8:] {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = crcTables[0][s[7]] ^ crcTables[1][s[6]] ^ crcTables[2][s[5]] ^ crcTables[3][s[4]] ^
			crcTables[4][crc>>24] ^ crcTables[5][byte(crc>>16)] ^ crcTables[6][byte(crc>>8)] ^ crcTables[7][byte(crc)] // #nosec G115 -- bytes of crc by design, as in hash/crc32
	}
	for i := 0; i < len(s); i++ {
		crc = crcTables[0][byte(crc)^s[i]] ^ crc>>8 // #nosec G115 -- the low byte of crc by design, as in hash/crc32
	}
	return ^crc
}

// Hint returns the form of a credential shown in listings: its prefix, an
// ellipsis and its last four characters, e.g. "ptc_sbx_…a1B2", which is what
// people recognise a token by (as on GitHub). The last four are checksum
// characters, so they reveal nothing of the random body. For a string that
// is not shaped like a credential it returns "…", never echoing the input,
// which could be some other secret pasted in the wrong place.
func Hint(plaintext string) string {
	if _, err := Parse(plaintext); err != nil && !errors.Is(err, ErrChecksum) {
		return "…"
	}
	k, _ := kindOf(plaintext)
	return prefix + string(k) + "_…" + plaintext[len(plaintext)-4:]
}

// hashInfo separates the token-hash key from the other uses of the server
// secret (session cookies), so a value computed for one can never be valid
// for the other.
const hashInfo = "portico/token/hmac-sha256/v1"

// Hasher computes the value credentials are stored and looked up by: an
// HMAC-SHA256 under a key derived from the server secret. Keying means a copy
// of the database alone cannot confirm which strings (say, found in someone's
// logs) are live credentials; a fast hash rather than a password hash is
// enough because the tokens carry 256 random bits. A Hasher is safe for
// concurrent use.
type Hasher struct {
	pool sync.Pool // of *hashState
}

// hashState is one reusable HMAC plus scratch space for the plaintext
// and the sum.
type hashState struct {
	mac hash.Hash
	buf []byte
	sum []byte
}

// NewHasher returns a Hasher keyed by the server secret key. The key is used
// through HMAC-SHA256(key, hashInfo), so changing the secret or hashInfo
// invalidates every stored credential. It panics on an empty key, which would
// make stored hashes computable by anyone; configuration enforces real
// minimums before this is reached.
func NewHasher(key []byte) *Hasher {
	if len(key) == 0 {
		panic("token: NewHasher with an empty key")
	}
	kdf := hmac.New(sha256.New, key)
	kdf.Write([]byte(hashInfo))
	derived := kdf.Sum(nil)
	h := &Hasher{}
	h.pool.New = func() any {
		// crypto/hmac saves the state after the padded key blocks, so
		// Reset on a pooled HMAC skips re-hashing them.
		return &hashState{mac: hmac.New(sha256.New, derived), buf: make([]byte, 0, 64), sum: make([]byte, 0, sha256.Size)}
	}
	return h
}

// maxPooledBuf bounds the scratch buffer kept in the pool, so one odd huge
// input does not pin memory for the life of the process.
const maxPooledBuf = 256

// Hash returns the 32-byte HMAC-SHA256 of plaintext, the value stored in and
// looked up from the database. It does not validate plaintext; call Parse
// first so garbage never costs a lookup.
func (h *Hasher) Hash(plaintext string) []byte {
	st := h.pool.Get().(*hashState)
	st.mac.Reset()
	// Copying into pooled scratch space avoids allocating a []byte per call.
	st.buf = append(st.buf[:0], plaintext...)
	st.mac.Write(st.buf)
	sum := st.mac.Sum(make([]byte, 0, sha256.Size))
	clear(st.buf) // do not keep the secret around in pooled memory
	if cap(st.buf) > maxPooledBuf {
		st.buf = make([]byte, 0, 64)
	}
	h.pool.Put(st)
	return sum
}

// Sum is Hash into an array, without allocating: the verifier's cache key
// on the hot path.
func (h *Hasher) Sum(plaintext string) (out [sha256.Size]byte) {
	st := h.pool.Get().(*hashState)
	st.mac.Reset()
	st.buf = append(st.buf[:0], plaintext...)
	st.mac.Write(st.buf)
	st.sum = st.mac.Sum(st.sum[:0])
	copy(out[:], st.sum)
	clear(st.buf)
	if cap(st.buf) > maxPooledBuf {
		st.buf = make([]byte, 0, 64)
	}
	h.pool.Put(st)
	return out
}

// Public identifiers of OAuth clients and resource servers: a prefix and
// 22 base62 characters (131 bits) from crypto/rand. They are not secrets
// (a client sends its id with every token request) but are unguessable,
// so an id alone tells nothing and cannot be enumerated.
const (
	ClientIDPrefix         = "pcl_"
	ResourceServerIDPrefix = "prs_"
	publicIDLen            = 22
)

// NewPublicID returns a fresh public identifier with prefix (ClientIDPrefix
// or ResourceServerIDPrefix).
func NewPublicID(prefix string) (string, error) {
	var random [publicIDLen]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("token: reading random bytes: %w", err)
	}
	buf := make([]byte, 0, len(prefix)+publicIDLen)
	buf = append(buf, prefix...)
	for _, b := range random {
		// b % 62 favours the first 8 characters slightly; for an
		// identifier only the entropy matters, still over 128 bits.
		buf = append(buf, alphabet[int(b)%len(alphabet)])
	}
	return string(buf), nil
}

// ValidPublicID reports whether s has the shape of an identifier NewPublicID
// makes with prefix, so forms and the token endpoint can refuse anything
// else before a lookup.
func ValidPublicID(prefix, s string) bool {
	if len(s) != len(prefix)+publicIDLen || s[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if digitValue[s[i]] == invalid {
			return false
		}
	}
	return true
}
