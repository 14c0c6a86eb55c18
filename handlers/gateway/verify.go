package gateway

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/token"
)

// VerifyPath is the verification endpoint for a proxy in front of the
// APIs. It is asked about a call with the proxy's headers (NGINX, Traefik)
// or with the call's path after it (Envoy's path_prefix): VerifyPath +
// "/live/fleet/spreaders".
const VerifyPath = "/auth/verify"

// IsVerify reports whether path is the verification endpoint's.
func IsVerify(path string) bool {
	return path == VerifyPath || (strings.HasPrefix(path, VerifyPath) && path[len(VerifyPath)] == '/')
}

// The headers a proxy describes the original call with. Each proxy sets
// its pair itself, replacing what the client sent under those names, but
// passes the client's other headers on: so the method always comes from
// the same pair as the URI, and a call carrying both pairs (a client's
// made-up pair beside its proxy's) must have them agree.
const (
	nginxURI      = "X-Original-Uri" // X-Original-URI, canonical
	nginxMethod   = "X-Original-Method"
	traefikURI    = "X-Forwarded-Uri"
	traefikMethod = "X-Forwarded-Method"
)

const missingOriginal = "Tell /auth/verify which call to check: X-Original-Method and X-Original-URI (NGINX auth_request), " +
	"X-Forwarded-Method and X-Forwarded-Uri (Traefik forwardAuth), or the call's path after /auth/verify (Envoy ext_authz path_prefix)."

// original returns the call a proxy asks about, or why it cannot be told
// (then the target is the verification request itself, for the record).
// The URI names the environment and the API as the gateway's own paths
// do: /live/{api}/… or /sandbox/{api}/….
func original(r *http.Request) (target, string) {
	self := target{method: r.Method, path: r.URL.Path}
	if rest, ok := strings.CutPrefix(r.URL.Path, VerifyPath); ok && rest != "" {
		// Envoy's HTTP ext_authz: the original method, and the original
		// path and query after its path_prefix.
		t := target{r.Method, rest, r.URL.RawQuery}
		if msg := checkOriginal(t, "The path after /auth/verify"); msg != "" {
			return self, msg
		}
		return t, ""
	}
	h := r.Header
	ou, om := h[nginxURI], h[nginxMethod]
	fu, fm := h[traefikURI], h[traefikMethod]
	nginx, traefik := ou != nil || om != nil, fu != nil || fm != nil
	uriName, methodName, uri, method := "X-Original-URI", nginxMethod, ou, om
	switch {
	case nginx && traefik:
		if !slices.Equal(ou, fu) || !slices.Equal(om, fm) {
			return self, "X-Original-URI and X-Forwarded-Uri (or their methods) name different calls: send the pair your proxy sets, " +
				"and remove the other (e.g. proxy_set_header X-Forwarded-Uri \"\"; proxy_set_header X-Forwarded-Method \"\";)."
		}
	case traefik:
		uriName, methodName, uri, method = traefikURI, traefikMethod, fu, fm
	case !nginx:
		return self, missingOriginal
	}
	switch {
	case uri == nil:
		return self, uriName + " is missing beside " + methodName + ": the original call's path and query."
	case method == nil:
		return self, methodName + " is missing beside " + uriName + ": the original call's method."
	case len(uri) != 1 || len(method) != 1:
		return self, uriName + " and " + methodName + " must be sent once each."
	}
	path, query, _ := strings.Cut(uri[0], "?")
	if path == "" || path[0] != '/' {
		return self, uriName + " must be the original call's path and query, starting with / (NGINX: $request_uri)."
	}
	if strings.IndexByte(path, '%') >= 0 {
		p, err := url.PathUnescape(path)
		if err != nil {
			// Redacted: the caller may have pasted a credential there.
			return self, uriName + " is not a valid URI path: " + strconv.Quote(token.RedactPath(path)) + "."
		}
		path = p
	}
	t := target{method[0], path, query}
	if msg := checkOriginal(t, uriName); msg != "" {
		return self, msg
	}
	return t, ""
}

// checkOriginal refuses a method that is not an HTTP token, and a path
// with dot segments: the chain matches it segment by segment as written,
// while the server behind the proxy may resolve "/spreaders/../x" into
// another operation than the one checked.
func checkOriginal(t target, name string) string {
	if !isToken(t.method) {
		return "The original call's method is not an HTTP method."
	}
	if dotSegment(t.path) {
		return name + " has a . or .. segment: send the path as the API's server will read it."
	}
	return ""
}

// dotSegment reports whether path (decoded) has a "." or ".." segment.
// The chain matches an operation segment by segment as written, while
// the server behind may resolve "/spreaders/.." into another resource
// than the one whose scope was checked: the gateway and /auth/verify
// both refuse such a path.
func dotSegment(path string) bool {
	for rest := path; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// isToken reports whether m is an HTTP method (an RFC 9110 token).
func isToken(m string) bool {
	if m == "" || len(m) > 32 {
		return false
	}
	for i := 0; i < len(m); i++ {
		c := m[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// verify runs the chain on the original call and answers 204 with the
// identity the gateway would send the upstream (forward): the proxy
// passes it on. The call's body is not sent here, so it is not
// validated: that is for the API's server behind the proxy.
func (g *Gateway) verify(x *exchange, r *http.Request, t target, rid, clientIP string) {
	a, ok := g.authorize(x, r, t, rid, clientIP)
	if !ok {
		return
	}
	deprecate(x, a.entry)
	h := x.Header()
	id := identity(a.p, a.grant)
	h["X-Portico-Partner"], h["X-Portico-Token-Id"], h["X-Portico-Scopes"] = id[0:1:1], id[1:2:2], id[2:3:3]
	// An OAuth access token names its client (X-Portico-Token-Id is the
	// client's row); for a PAT the header is sent empty, so a proxy that
	// copies it onto the call (NGINX, Traefik, Envoy as the README sets
	// them up) overwrites whatever client id the caller sent.
	if a.p.ClientIDHeader != nil {
		h["X-Portico-Client-Id"] = a.p.ClientIDHeader
	} else {
		h["X-Portico-Client-Id"] = noClient
	}
	// An answer about one credential at one moment: no proxy keeps it.
	h["Cache-Control"] = noStore
	x.WriteHeader(http.StatusNoContent)
}

var (
	noStore  = []string{"no-store"}
	noClient = []string{""}
)

// identity returns the values of X-Portico-Partner, X-Portico-Token-Id and
// X-Portico-Scopes in two allocations: one string for both numbers, one
// array for the three header values.
func identity(p *credential.Principal, grant *credential.APIGrant) []string {
	var buf [40]byte
	b := strconv.AppendInt(buf[:0], p.PartnerID, 10)
	n := len(b)
	b = strconv.AppendInt(b, p.TokenID, 10)
	s := string(b)
	return []string{s[:n], s[n:], grant.ScopeHeader}
}
