// Package sso signs people in through OpenID Connect identity providers:
// a partner's own (its directory decides who works for it) or the staff's.
// It seals the secrets it keeps, runs the authorization code flow with
// PKCE, state and nonce, verifies ID tokens through discovery and JWKS,
// admits people just in time into the provider's partner only, maps the
// provider's groups to teams and to the partner-admin role, and ends the
// access of people the provider no longer vouches for.
package sso

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Box seals the secrets Portico must keep to talk to identity providers
// (client secrets, refresh tokens) with AES-256-GCM under a key derived
// from the server secret, so a database dump alone yields none of them.
type Box struct{ aead cipher.AEAD }

// boxVersion leads every sealed value, so the scheme can change later.
const boxVersion = 1

// ErrUnsealable means a sealed value was not sealed by this server's
// secret (or was altered).
var ErrUnsealable = errors.New("sealed value cannot be opened with this server's secret")

// NewBox derives the sealing key from the server secret.
func NewBox(secret []byte) (*Box, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, "portico sso secrets v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive sso key: %w", err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("sso cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("sso cipher: %w", err)
	}
	return &Box{aead: aead}, nil
}

// MustBox is NewBox for a secret the configuration already checked (at
// least 32 bytes): deriving a 32-byte AES key from it cannot fail.
func MustBox(secret []byte) *Box {
	b, err := NewBox(secret)
	if err != nil {
		panic(err)
	}
	return b
}

// Seal encrypts plain; purpose binds the value to its use (a client
// secret cannot be passed off as a refresh token).
func (b *Box) Seal(plain, purpose string) []byte {
	out := make([]byte, 1+b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	out[0] = boxVersion
	_, _ = rand.Read(out[1:])                                        // crypto/rand.Read never fails (Go 1.24+).
	return b.aead.Seal(out, out[1:], []byte(plain), []byte(purpose)) // #nosec G407 -- the nonce is 12 fresh bytes from crypto/rand, just above

}

// Open decrypts what Seal returned for the same purpose.
func (b *Box) Open(sealed []byte, purpose string) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != boxVersion {
		return "", ErrUnsealable
	}
	plain, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(purpose))
	if err != nil {
		return "", ErrUnsealable
	}
	return string(plain), nil
}

// Purposes of sealed values.
const (
	PurposeClientSecret = "identity_providers.client_secret"
	PurposeRefreshToken = "user_identities.refresh_token"
)
