// Package seal keeps the secrets Portico must be able to read back (an
// identity provider's client secret, refresh tokens, webhook signing
// secrets) encrypted at rest with AES-256-GCM under a key derived from the
// server secret, so a database dump alone yields none of them. Secrets
// Portico only has to recognise (tokens, passwords) are hashed instead.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Box seals and opens values under one derived key.
type Box struct{ aead cipher.AEAD }

// version leads every sealed value, so the scheme can change later.
const version = 1

// ErrUnsealable means a sealed value was not sealed by this server's
// secret (or was altered).
var ErrUnsealable = errors.New("sealed value cannot be opened with this server's secret")

// NewBox derives the sealing key from the server secret; label separates
// the keys of different uses ("portico sso secrets v1").
func NewBox(secret []byte, label string) (*Box, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, label, 32)
	if err != nil {
		return nil, fmt.Errorf("derive %s key: %w", label, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("%s cipher: %w", label, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%s cipher: %w", label, err)
	}
	return &Box{aead: aead}, nil
}

// MustBox is NewBox for a secret the configuration already checked (at
// least 32 bytes): deriving a 32-byte AES key from it cannot fail.
func MustBox(secret []byte, label string) *Box {
	b, err := NewBox(secret, label)
	if err != nil {
		panic(err)
	}
	return b
}

// Seal encrypts plain; purpose binds the value to its use (a client
// secret cannot be passed off as a refresh token).
func (b *Box) Seal(plain, purpose string) []byte {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	out[0] = version
	_, _ = rand.Read(out[1:])                                        // crypto/rand.Read never fails (Go 1.24+).
	return b.aead.Seal(out, out[1:], []byte(plain), []byte(purpose)) // #nosec G407 -- the nonce is 12 fresh bytes from crypto/rand, just above
}

// Open decrypts what Seal returned for the same purpose.
func (b *Box) Open(sealed []byte, purpose string) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != version {
		return "", ErrUnsealable
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(purpose))
	if err != nil {
		return "", ErrUnsealable
	}
	return string(plain), nil
}
