package gateway

import (
	"net/http"

	"github.com/portico/portico/internal/apierr"
)

// Error codes of the gateway, documented in the portal's docs: every error
// answers apierr's body {"error": {"code", "message", "request_id"}}.
const (
	codeInvalidRequest    = "invalid_request"
	codeInvalidToken      = "invalid_token"
	codeTokenExpired      = "token_expired"
	codeTokenPending      = "token_pending"
	codeWrongEnvironment  = "wrong_environment"
	codeNetworkNotAllowed = "network_not_allowed"
	codeInsufficientScope = "insufficient_scope"
	codeNotFound          = "not_found"
	codeMethodNotAllowed  = "method_not_allowed"
	codeGone              = "api_retired"
	codeRateLimited       = "rate_limited"
	codeTokenRateLimited  = "token_rate_limited"
	// codePartnerRateLimited is the partner's own ceiling across all its
	// access groups' APIs, set by its account manager.
	codePartnerRateLimited = "partner_rate_limited"
	codeQuotaExceeded      = "quota_exceeded"
	codeBadGateway         = "bad_gateway"
	codeGatewayTimeout     = "gateway_timeout"
	codeUnavailable        = "unavailable"
	codeNoUpstream         = "no_upstream"
	codeInternal           = "internal_error"
	codeBodyTooLarge       = "body_too_large"
	codeLargeBodiesBusy    = "too_many_large_bodies"
)

// writeError answers the JSON error body, never to be cached. The message
// never contains what the caller sent as a credential.
func writeError(w http.ResponseWriter, status int, code, msg, requestID string) {
	w.Header().Set("Cache-Control", "no-store")
	apierr.Write(w, status, apierr.Detail{Code: code, Message: msg, RequestID: requestID})
}

// challenge sets the RFC 6750 WWW-Authenticate header of a 401 or 403.
func challenge(w http.ResponseWriter, errCode, desc, scope string) {
	v := `Bearer realm="portico"`
	if errCode != "" {
		v += `, error="` + errCode + `"`
	}
	if desc != "" {
		v += `, error_description="` + desc + `"`
	}
	if scope != "" {
		v += `, scope="` + scope + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
}
