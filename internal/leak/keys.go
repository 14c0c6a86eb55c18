package leak

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Keys are the public keys whose signatures a leaked-token report is
// accepted with, by key id. A scanner signs the request body with ECDSA
// P-256 over SHA-256 and names its key and signature in headers (GitHub's
// Github-Public-Key-Identifier and Github-Public-Key-Signature).
type Keys struct {
	byID map[string]*ecdsa.PublicKey
}

// ErrSignature is a report whose signature is missing, made with a key
// that is not accepted, or does not match its body.
var ErrSignature = errors.New("leak: the report's signature is not valid")

// ParseKeys reads PEM "PUBLIC KEY" blocks of P-256 keys. A block's key id
// is its Key-Id header when it has one (GitHub publishes an id with each
// key), else the hex SHA-256 of the key's DER encoding.
func ParseKeys(data []byte) (*Keys, error) {
	k := &Keys{byID: map[string]*ecdsa.PublicKey{}}
	for n := 1; ; n++ {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("leak keys: block %d is a %q, not a PUBLIC KEY", n, b.Type)
		}
		pub, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("leak keys: block %d: %w", n, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("leak keys: block %d is not an ECDSA P-256 key", n)
		}
		id := strings.TrimSpace(b.Headers["Key-Id"])
		if id == "" {
			sum := sha256.Sum256(b.Bytes)
			id = hex.EncodeToString(sum[:])
		}
		if _, dup := k.byID[id]; dup {
			return nil, fmt.Errorf("leak keys: key id %s appears twice", id)
		}
		k.byID[id] = ec
	}
	if len(k.byID) == 0 {
		return nil, errors.New("leak keys: no PEM PUBLIC KEY block")
	}
	return k, nil
}

// LoadKeys reads ParseKeys' format from the file at path.
func LoadKeys(path string) (*Keys, error) {
	data, err := os.ReadFile(path) // #nosec G304 -- the operator's setting (PORTICO_LEAK_KEYS), never a request's input
	if err != nil {
		return nil, fmt.Errorf("leak keys: %w", err)
	}
	return ParseKeys(data)
}

// IDs lists the accepted key ids, for the log line at start.
func (k *Keys) IDs() []string {
	ids := make([]string, 0, len(k.byID))
	for id := range k.byID {
		ids = append(ids, id)
	}
	return ids
}

// Verify checks sig (base64 of an ASN.1 DER ECDSA signature) over body
// with the key keyID names. Every failure is ErrSignature, so the answer
// never says which key ids exist.
func (k *Keys) Verify(keyID, sig string, body []byte) error {
	pub := k.byID[strings.TrimSpace(keyID)]
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if pub == nil || err != nil || len(raw) == 0 {
		return ErrSignature
	}
	sum := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(pub, sum[:], raw) {
		return ErrSignature
	}
	return nil
}

// Errors of a signed report's body.
var (
	// ErrFormat is a body that is not a JSON array of Found objects.
	ErrFormat = errors.New(`leak: the report is not a JSON array of {"token", "type", "url", "source"} objects`)
	// ErrTooMany is a report of more than MaxTokens strings.
	ErrTooMany = fmt.Errorf("leak: a report carries at most %d strings", MaxTokens)
)

// Open returns the strings a scanner's report body carries, once its
// signature is checked: nothing of an unsigned body is parsed. Its errors
// are ErrSignature, ErrFormat and ErrTooMany.
func (k *Keys) Open(keyID, sig string, body []byte) ([]Found, error) {
	if err := k.Verify(keyID, sig, body); err != nil {
		return nil, err
	}
	return decode(body)
}

// decode reads a report body whose signature was checked.
func decode(body []byte) ([]Found, error) {
	var found []Found
	if err := json.Unmarshal(body, &found); err != nil {
		return nil, ErrFormat
	}
	if len(found) > MaxTokens {
		return nil, ErrTooMany
	}
	return found, nil
}
