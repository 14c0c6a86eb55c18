// Package oauth is Portico's OAuth 2.0 authorization server for partner
// machines, without HTTP: the client credentials grant (RFC 6749 §4.4),
// token introspection (RFC 7662) and revocation (RFC 7009). An OAuth
// client is a tokens row with a public client id (its secret is the row's
// hash); the access tokens it gets are opaque ptc_at_ credentials stored
// as their HMAC, which the gateway's verifier accepts like personal access
// tokens. Resource servers (the provider's services, an existing gateway)
// authenticate with credentials of their own to introspect and revoke.
//
// Every refusal is an *Error carrying the RFC's error code, a description
// that never repeats what the caller sent, and the HTTP status to answer.
package oauth

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// Error codes (RFC 6749 §5.2, RFC 7009 §2.2.1). CodeTemporarilyUnavailable
// answers a throttled client (429 with Retry-After): RFC 6749 names no
// code for it, and this registered one tells a client to come back later.
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidClient          = "invalid_client"
	CodeUnauthorizedClient     = "unauthorized_client"
	CodeUnsupportedGrantType   = "unsupported_grant_type"
	CodeInvalidScope           = "invalid_scope"
	CodeUnsupportedTokenType   = "unsupported_token_type"
	CodeTemporarilyUnavailable = "temporarily_unavailable"
	CodeServerError            = "server_error"
)

// Error is a refusal as the OAuth endpoints answer it: Code and
// Description go in the body, Status is the HTTP status, RetryAfter (when
// set) the wait a throttled caller is told.
type Error struct {
	Code        string
	Description string
	Status      int
	RetryAfter  time.Duration
}

func (e *Error) Error() string { return "oauth: " + e.Code + ": " + e.Description }

// errInvalidClient is the one answer for an unknown, revoked or expired
// client, a wrong secret, or an owner or partner no longer active, so the
// answer never tells which client ids exist or what became of them.
func errInvalidClient() *Error {
	return &Error{Code: CodeInvalidClient, Status: http.StatusUnauthorized,
		Description: "Client authentication failed: the client id and secret are not those of an active client."}
}

// BadRequest is an invalid_request refusal with the given description.
func BadRequest(desc string) *Error {
	return &Error{Code: CodeInvalidRequest, Status: http.StatusBadRequest, Description: desc}
}

// Server issues, introspects and revokes access tokens. It is safe for
// concurrent use.
type Server struct {
	store    *store.Store
	hasher   *token.Hasher
	verifier *credential.Verifier
	// Issuer is the portal's base URL: iss in introspection answers and
	// the issuer of the authorization server metadata.
	Issuer string
	// Log receives what a caller cannot be told (a failed last-use write).
	Log *slog.Logger
	now func() time.Time

	// lastUse is when each resource server's last use was written, so a
	// busy resource server costs a write a minute, not one per request.
	usesMu  sync.Mutex
	lastUse map[int64]time.Time
}

// New returns a server over st, hashing with hasher, inspecting tokens
// through verifier; issuer is the portal's base URL.
func New(st *store.Store, hasher *token.Hasher, verifier *credential.Verifier, issuer string, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{store: st, hasher: hasher, verifier: verifier, Issuer: strings.TrimRight(issuer, "/"), Log: log,
		now: time.Now, lastUse: map[int64]time.Time{}}
}

// Credentials are what a caller authenticates with: a public id and its
// secret, from HTTP Basic or the form (client_secret_basic or _post).
type Credentials struct {
	ID     string
	Secret string
}
