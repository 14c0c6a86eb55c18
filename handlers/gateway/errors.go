package gateway

import (
	"net/http"
	"strconv"
	"strings"
)

// Error codes of the gateway, documented in the portal's docs: every error
// answers {"error": {"code", "message", "request_id"}}.
const (
	codeInvalidRequest    = "invalid_request"
	codeInvalidToken      = "invalid_token"
	codeTokenExpired      = "token_expired"
	codeTokenPending      = "token_pending"
	codeWrongEnvironment  = "wrong_environment"
	codeInsufficientScope = "insufficient_scope"
	codeNotFound          = "not_found"
	codeMethodNotAllowed  = "method_not_allowed"
	codeGone              = "api_retired"
	codeRateLimited       = "rate_limited"
	codeTokenRateLimited  = "token_rate_limited"
	codeQuotaExceeded     = "quota_exceeded"
	codeBadGateway        = "bad_gateway"
	codeGatewayTimeout    = "gateway_timeout"
	codeUnavailable       = "unavailable"
	codeNoUpstream        = "no_upstream"
	codeInternal          = "internal_error"
	codeBodyTooLarge      = "body_too_large"
	codeLargeBodiesBusy   = "too_many_large_bodies"
)

// writeError answers the JSON error shape. The message never contains
// what the caller sent as a credential.
func writeError(w http.ResponseWriter, status int, code, msg, requestID string) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	var b strings.Builder
	b.Grow(64 + len(msg) + len(requestID))
	b.WriteString(`{"error":{"code":`)
	b.WriteString(strconv.Quote(code))
	b.WriteString(`,"message":`)
	b.WriteString(strconv.Quote(msg))
	b.WriteString(`,"request_id":`)
	b.WriteString(strconv.Quote(requestID))
	b.WriteString("}}\n")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
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
