package gateway

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/oauth"
	"github.com/portico/portico/internal/requestid"
)

// The OAuth endpoints of the machine surface (internal/oauth does the
// work): the client credentials grant, introspection and revocation for
// resource servers, and the authorization server metadata.
const (
	TokenPath      = "/oauth/token" // #nosec G101 -- a URL path, not a credential
	IntrospectPath = "/oauth/introspect"
	RevokePath     = "/oauth/revoke"
	MetadataPath   = "/.well-known/oauth-authorization-server"
)

// IsOAuth reports whether path is one of the OAuth endpoints.
func IsOAuth(path string) bool {
	switch path {
	case TokenPath, IntrospectPath, RevokePath, MetadataPath:
		return true
	}
	return false
}

// The challenges of a 401: the token endpoint takes client credentials
// by HTTP Basic (or in the body); introspection and revocation also take
// a resource server's secret as a bearer credential.
var (
	basicChallenge  = `Basic realm="portico"`
	bearerChallenge = `Bearer realm="portico"` // #nosec G101 -- a WWW-Authenticate challenge, not a credential
)

// OAuth serves the OAuth endpoints for a caller at clientIP (as the
// portal's trusted-proxy rules determined it). They take no cookies and
// answer RFC 6749's error bodies, not the gateway's.
func (g *Gateway) OAuth(w http.ResponseWriter, r *http.Request, clientIP string) {
	rid := r.Header.Get("X-Request-Id")
	if !requestid.Valid(rid) {
		rid = g.idPrefix + strconv.FormatUint(g.idSeq.Add(1), 36)
	}
	h := w.Header()
	h.Set("X-Request-Id", rid)
	h["X-Content-Type-Options"], h["Content-Security-Policy"] = nosniff, sandboxed
	if g.d.OAuth == nil {
		writeError(w, http.StatusNotFound, codeNotFound, "OAuth is not enabled on this server.", rid)
		return
	}
	// Mounted before the portal's middleware, so its panic recovery too:
	// a panic is a server_error answer here, the connection survives.
	answered := false
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			g.d.Log.Error("oauth endpoint panic", "path", r.URL.Path, "request_id", rid, "panic", p)
			if !answered {
				writeOAuthError(w, serverError(rid))
			}
		}
	}()
	ctx := audit.WithSource(r.Context(), audit.Source{IP: clientIP, RequestID: rid})
	r = r.WithContext(ctx)
	var err error
	var endpoint string
	switch r.URL.Path {
	case TokenPath:
		endpoint, err = "token", g.token(w, r, clientIP)
	case IntrospectPath:
		endpoint, err = "introspect", g.introspect(w, r, clientIP)
	case RevokePath:
		endpoint, err = "revoke", g.revoke(w, r, clientIP)
	case MetadataPath:
		endpoint, err = "metadata", g.metadata(w, r)
	default:
		writeError(w, http.StatusNotFound, codeNotFound, "No such OAuth endpoint.", rid)
		return
	}
	answered = true
	outcome := "ok"
	var oe *oauth.Error
	switch {
	case err == nil:
	case errors.As(err, &oe):
		challenges := []string{basicChallenge}
		if r.URL.Path != TokenPath {
			challenges = append(challenges, bearerChallenge)
		}
		writeOAuthError(w, oe, challenges...)
		outcome = oe.Code
	default:
		g.d.Log.Error("oauth endpoint failed", "path", r.URL.Path, "request_id", rid, "err", err)
		writeOAuthError(w, serverError(rid))
		outcome = oauth.CodeServerError
	}
	if m, ok := g.d.Metrics.(OAuthMetrics); ok {
		m.OAuth(endpoint, outcome)
	}
}

func serverError(rid string) *oauth.Error {
	return &oauth.Error{Code: oauth.CodeServerError, Status: http.StatusInternalServerError,
		Description: "The authorization server failed to handle this request; quote request id " + rid + " to support."}
}

// tokenResponse is RFC 6749 §5.1's successful answer.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// token is POST /oauth/token: the client credentials grant (RFC 6749
// §4.4), the only grant Portico issues.
func (g *Gateway) token(w http.ResponseWriter, r *http.Request, clientIP string) error {
	form, oe := readForm(w, r)
	if oe != nil {
		return oe
	}
	switch gt, ok := form["grant_type"]; {
	case !ok || gt[0] == "":
		return oauth.BadRequest("grant_type is missing: send grant_type=client_credentials.")
	case gt[0] != "client_credentials":
		return &oauth.Error{Code: oauth.CodeUnsupportedGrantType, Status: http.StatusBadRequest,
			Description: "Only the client credentials grant is supported: send grant_type=client_credentials."}
	}
	cr, _, oe := credentials(r, form, false)
	if oe != nil {
		return oe
	}
	issued, err := g.d.OAuth.Issue(r.Context(), oauth.TokenRequest{Client: cr, Scope: form.Get("scope"), IP: clientIP})
	if err != nil {
		return err
	}
	writeOAuth(w, http.StatusOK, tokenResponse{AccessToken: issued.AccessToken, TokenType: "Bearer",
		ExpiresIn: issued.ExpiresIn, Scope: issued.Scope})
	return nil
}
