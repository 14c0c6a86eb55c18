package gateway

import (
	"bytes"
	"net/http"

	"github.com/valyala/fasthttp"
)

// The portal's Try it (Swagger UI in the portal's pages) calls the edge
// from the portal's origin: the edge allows that origin, and only it, to
// read the answers and to send the Authorization header. No credentials:
// the gateway's callers authenticate with their bearer token, never with
// the portal's cookies.
const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
	corsHeaders = "Authorization, Content-Type, Accept, X-Request-Id"
	corsExpose  = "X-Request-Id, RateLimit, RateLimit-Policy, Retry-After, WWW-Authenticate, Deprecation, Sunset, Location"
)

// preflight answers a CORS preflight from the allowed origin (204, the
// methods and headers allowed); false when the request is not one, and
// the call goes on as any other.
func (e *Edge) preflight(ctx *fasthttp.RequestCtx) bool {
	if e.origin == "" || !ctx.IsOptions() || !e.fromPortal(ctx) ||
		len(ctx.Request.Header.Peek("Access-Control-Request-Method")) == 0 {
		return false
	}
	h := &ctx.Response.Header
	h.Set("Access-Control-Allow-Origin", e.origin)
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", "600")
	h.Set("Vary", "Origin")
	h.Set("Cache-Control", "no-store")
	ctx.SetStatusCode(http.StatusNoContent)
	return true
}

// allow lets the allowed origin read an answer, whatever the upstream said
// about CORS.
func (e *Edge) allow(ctx *fasthttp.RequestCtx) {
	if e.origin == "" || !e.fromPortal(ctx) {
		return
	}
	h := &ctx.Response.Header
	h.Del("Access-Control-Allow-Credentials")
	h.Set("Access-Control-Allow-Origin", e.origin)
	h.Set("Access-Control-Expose-Headers", corsExpose)
	h.Add("Vary", "Origin")
}

func (e *Edge) fromPortal(ctx *fasthttp.RequestCtx) bool {
	return bytes.Equal(ctx.Request.Header.Peek("Origin"), []byte(e.origin))
}
