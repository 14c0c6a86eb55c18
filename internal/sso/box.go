// Package sso signs people in through OpenID Connect identity providers:
// a partner's own (its directory decides who works for it) or the staff's.
// It seals the secrets it keeps, runs the authorization code flow with
// PKCE, state and nonce, verifies ID tokens through discovery and JWKS,
// admits people just in time into the provider's partner only, maps the
// provider's groups to teams and to the partner-admin role, and ends the
// access of people the provider no longer vouches for.
package sso

import "github.com/portico/portico/internal/seal"

// Box seals the secrets Portico must keep to talk to identity providers
// (client secrets, refresh tokens).
type Box = seal.Box

// ErrUnsealable means a sealed value was not sealed by this server's
// secret (or was altered).
var ErrUnsealable = seal.ErrUnsealable

// boxLabel derives the key of the SSO secrets; sealed values in the
// database depend on it, so it never changes.
const boxLabel = "portico sso secrets v1"

// NewBox derives the sealing key from the server secret.
func NewBox(secret []byte) (*Box, error) { return seal.NewBox(secret, boxLabel) }

// MustBox is NewBox for a secret the configuration already checked.
func MustBox(secret []byte) *Box { return seal.MustBox(secret, boxLabel) }

// Purposes of sealed values.
const (
	PurposeClientSecret = "identity_providers.client_secret"
	PurposeRefreshToken = "user_identities.refresh_token"
)
