package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/seal"
)

// secretPrefix marks a signing secret, as Standard Webhooks names it.
const secretPrefix = "whsec_"

// secretBytes is the size of a signing key: the specification asks for
// 24 to 64 bytes.
const secretBytes = 32

// ErrBadSecret is a stored secret that is not whsec_ and base64.
var ErrBadSecret = errors.New("webhook secret is not whsec_ and base64")

// NewSecret returns a fresh signing secret: whsec_ and 32 random bytes in
// standard base64, as the Standard Webhooks libraries read it.
func NewSecret() string {
	var b [secretBytes]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// SecretHint names a secret on pages and in the audit trail without
// giving it away: its prefix and last four characters.
func SecretHint(secret string) string {
	if len(secret) < len(secretPrefix)+8 {
		return secretPrefix + "…"
	}
	return secretPrefix + "…" + secret[len(secret)-4:]
}

// key decodes a secret into its HMAC key.
func key(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(k) == 0 {
		return nil, ErrBadSecret
	}
	return k, nil
}

// Signature returns the webhook-signature header of a message: "v1,"
// and the base64 HMAC-SHA256 over "id.timestamp.body", once per secret
// (the current one first; during a rotation's grace period the previous
// one too), separated by spaces.
func Signature(msgID string, timestamp int64, body []byte, secrets ...string) (string, error) {
	var sb strings.Builder
	ts := strconv.FormatInt(timestamp, 10)
	for i, s := range secrets {
		k, err := key(s)
		if err != nil {
			return "", err
		}
		mac := hmac.New(sha256.New, k)
		mac.Write([]byte(msgID))
		mac.Write([]byte{'.'})
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString("v1,")
		sb.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return sb.String(), nil
}

// boxLabel derives the key sealing signing secrets; sealed values in the
// database depend on it, so it never changes.
const boxLabel = "portico webhook secrets v1"

// MustBox returns the box sealing signing secrets under the server
// secret (already checked by the configuration: at least 32 bytes).
func MustBox(secret []byte) *seal.Box { return seal.MustBox(secret, boxLabel) }
