package gateway

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/oauth"
)

// tokenParam returns the token parameter of introspection and revocation.
func tokenParam(form url.Values) (string, error) {
	if t := form.Get("token"); t != "" {
		return t, nil
	}
	return "", oauth.BadRequest("token is missing: send the token to check in the token parameter.")
}

// callerAndToken reads the form of introspection and revocation, and
// returns who asks (a resource server, or with clients an OAuth client
// too) and the token asked about.
func (g *Gateway) callerAndToken(w http.ResponseWriter, r *http.Request, clientIP string, clients bool) (*oauth.Caller, string, error) {
	form, oe := readForm(w, r)
	if oe != nil {
		return nil, "", oe
	}
	cr, bearer, oe := credentials(r, form, true)
	if oe != nil {
		return nil, "", oe
	}
	caller, err := g.d.OAuth.Authenticate(r.Context(), cr, bearer, clientIP, clients)
	if err != nil {
		return nil, "", err
	}
	tok, err := tokenParam(form)
	if err != nil {
		return nil, "", err
	}
	return caller, tok, nil
}

// introspect is POST /oauth/introspect (RFC 7662), for resource servers:
// whether a token is active and what it may do now.
func (g *Gateway) introspect(w http.ResponseWriter, r *http.Request, clientIP string) error {
	_, tok, err := g.callerAndToken(w, r, clientIP, false)
	if err != nil {
		return err
	}
	// token_type_hint is only a hint (§2.1): every kind is looked up.
	in, err := g.d.OAuth.Introspect(r.Context(), tok)
	if err != nil {
		return err
	}
	writeOAuth(w, http.StatusOK, in)
	return nil
}

// revoke is POST /oauth/revoke (RFC 7009): a resource server revokes any
// access token, an OAuth client its own. Done, unknown and foreign tokens
// all answer 200 with an empty body.
func (g *Gateway) revoke(w http.ResponseWriter, r *http.Request, clientIP string) error {
	caller, tok, err := g.callerAndToken(w, r, clientIP, true)
	if err != nil {
		return err
	}
	if err := g.d.OAuth.Revoke(r.Context(), caller, tok); err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
	return nil
}

// metadata is RFC 8414's authorization server metadata.
type metadata struct {
	Issuer                   string   `json:"issuer"`
	TokenEndpoint            string   `json:"token_endpoint"`
	IntrospectionEndpoint    string   `json:"introspection_endpoint"`
	RevocationEndpoint       string   `json:"revocation_endpoint"`
	GrantTypes               []string `json:"grant_types_supported"`
	ResponseTypes            []string `json:"response_types_supported"`
	TokenAuthMethods         []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionAuthMethods []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationAuthMethods    []string `json:"revocation_endpoint_auth_methods_supported"`
	Scopes                   []string `json:"scopes_supported"`
	ServiceDocumentation     string   `json:"service_documentation"`
}

// GET /.well-known/oauth-authorization-server. scopes_supported lists the
// management API's scopes only (public in portal.yaml): catalog APIs'
// scopes (SLUG/SCOPE) would tell anyone the catalog, which only signed-in
// users see, and RFC 8414 lets a server leave scopes out.
func (g *Gateway) metadata(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return &oauth.Error{Code: oauth.CodeInvalidRequest, Status: http.StatusMethodNotAllowed, Description: "Use GET."}
	}
	iss := g.d.OAuth.Issuer
	methods := []string{"client_secret_basic", "client_secret_post"}
	scopes := make([]string, 0, len(access.PortalScopes))
	for _, s := range access.PortalScopes {
		scopes = append(scopes, s.Name)
	}
	m := metadata{Issuer: iss, TokenEndpoint: iss + TokenPath, IntrospectionEndpoint: iss + IntrospectPath,
		RevocationEndpoint: iss + RevokePath, GrantTypes: []string{"client_credentials"}, ResponseTypes: []string{},
		TokenAuthMethods: methods, IntrospectionAuthMethods: methods, RevocationAuthMethods: methods,
		Scopes: scopes, ServiceDocumentation: iss + "/apis"}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	_ = json.NewEncoder(w).Encode(m)
	return nil
}
