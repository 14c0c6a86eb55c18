// Package apierr is Portico's one error vocabulary: the JSON error body
// every JSON surface answers with (the portal's error handler, the
// management API under /api/v1, the gateway's /sandbox, /live and
// /auth/verify, and the sandbox behind it), its writer, and FieldError,
// the problem with one input field that the domain packages (catalog, pat,
// people) return so that handlers can show it next to that field or answer
// it as invalid input.
//
// The OAuth endpoints (/oauth/token, /oauth/introspect, /oauth/revoke) do
// not use this body: their errors follow RFC 6749 §5.2
// ({"error": "invalid_client", "error_description": "…"}), the shape OAuth
// client libraries parse, and are written where those endpoints live.
package apierr

import (
	"net/http"
	"unicode/utf8"
)

// ContentType is the media type of an error body.
const ContentType = "application/json"

// Body is the JSON error body {"error": {"code", "message", "request_id"}},
// exactly the Error schema of openapi/portal.yaml (which allows no other
// properties).
type Body struct {
	Error Detail `json:"error"`
}

// Detail is what an error body says.
type Detail struct {
	// Code is machine-readable and stable, e.g. not_found, invalid_input.
	Code string `json:"code"`
	// Message is safe to show a user: never a credential, never an
	// internal cause.
	Message string `json:"message"`
	// RequestID is the call's X-Request-Id, for the caller to quote to
	// support.
	RequestID string `json:"request_id"`
}

// AppendJSON appends b as JSON to dst, byte for byte what encoding/json's
// Marshal makes of it (HTML-safe escaping included), without its
// reflection: the gateway writes one on every refusal.
func (b Body) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":{"code":`...)
	dst = appendString(dst, b.Error.Code)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, b.Error.Message)
	dst = append(dst, `,"request_id":`...)
	dst = appendString(dst, b.Error.RequestID)
	return append(dst, "}}"...)
}

// overhead is the length of an error body with empty strings, plus its
// trailing newline.
const overhead = len(`{"error":{"code":"","message":"","request_id":""}}` + "\n")

// Write answers status with the error body of d and its Content-Type.
// The body ends with a newline, as echo's JSON answers do. Headers the
// caller set before (Cache-Control, WWW-Authenticate, RateLimit) are kept.
func Write(w http.ResponseWriter, status int, d Detail) {
	// One allocation: room for the strings and a few escapes.
	b := make([]byte, 0, overhead+len(d.Code)+len(d.Message)+len(d.RequestID)+16)
	b = Body{Error: d}.AppendJSON(b)
	b = append(b, '\n')
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

const hex = "0123456789abcdef"

// appendString appends s as a JSON string the way encoding/json does:
// ", \ and control characters escaped, <, > and & as \u003c, \u003e and
// \u0026 (so a body shown in HTML cannot open a tag), invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped for JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
