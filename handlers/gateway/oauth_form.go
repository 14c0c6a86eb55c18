package gateway

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/internal/oauth"
)

// maxOAuthForm bounds an OAuth request's body, enforced while it is read:
// the largest legitimate one (credentials, a few scopes, a token) is well
// under 1 KiB.
const maxOAuthForm = 8 << 10

// oauthParams are the parameters the endpoints read, the only ones a
// refusal may name (a caller's own parameter names are not repeated).
var oauthParams = map[string]bool{"grant_type": true, "scope": true, "client_id": true, "client_secret": true,
	"token": true, "token_type_hint": true}

// readForm reads an OAuth request's parameters: POST only, from a body
// of application/x-www-form-urlencoded (never the URL, which ends up in
// logs), bounded while read, each parameter at most once (RFC 6749 §3.2).
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauth.Error) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return nil, &oauth.Error{Code: oauth.CodeInvalidRequest, Status: http.StatusMethodNotAllowed,
			Description: "Use POST, with the parameters form-encoded in the body."}
	}
	if r.URL.RawQuery != "" {
		return nil, oauth.BadRequest("Send the parameters in the request body, not in the URL.")
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, oauth.BadRequest("Send the parameters as application/x-www-form-urlencoded.")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOAuthForm))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, oauth.BadRequest("The request body is over " + strconv.Itoa(maxOAuthForm>>10) + " KiB.")
		}
		return nil, oauth.BadRequest("The request body could not be read.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, oauth.BadRequest("The request body is not valid form encoding.")
	}
	for k, v := range form {
		if len(v) > 1 {
			if oauthParams[k] {
				return nil, oauth.BadRequest("Send each parameter once: " + k + " came more than once.")
			}
			return nil, oauth.BadRequest("Send each parameter once.")
		}
	}
	return form, nil
}

var errTwoMethods = oauth.BadRequest("Authenticate one way only: HTTP Basic, or client_id and client_secret in the body, not both.")

// credentials reads how the caller authenticates: HTTP Basic with the id
// and secret form-encoded (RFC 6749 §2.3.1), client_id and client_secret
// in the body, or (bearer set: a resource server) its secret as a bearer
// credential, returned alone. Using two ways at once is invalid_request;
// none, or an Authorization header of another kind, invalid_client.
func credentials(r *http.Request, form url.Values, bearer bool) (oauth.Credentials, string, *oauth.Error) {
	hdr := r.Header.Values("Authorization")
	formID, hasID := form["client_id"]
	_, hasSecret := form["client_secret"]
	switch {
	case len(hdr) > 1:
		return oauth.Credentials{}, "", oauth.BadRequest("Send one Authorization header.")
	case len(hdr) == 1:
		scheme, rest, _ := strings.Cut(hdr[0], " ")
		switch {
		case strings.EqualFold(scheme, "Basic"):
			user, pass, ok := r.BasicAuth()
			if !ok {
				return oauth.Credentials{}, "", authFailed("The Authorization header is not HTTP Basic credentials (base64 of id:secret).")
			}
			id, err1 := url.QueryUnescape(user)
			secret, err2 := url.QueryUnescape(pass)
			if err1 != nil || err2 != nil {
				return oauth.Credentials{}, "", authFailed("The HTTP Basic id and secret are not form-encoded correctly.")
			}
			// client_id may be repeated in the body (some clients do);
			// a different one, or a secret too, is a second method.
			if hasSecret || (hasID && formID[0] != id) {
				return oauth.Credentials{}, "", errTwoMethods
			}
			return oauth.Credentials{ID: id, Secret: secret}, "", nil
		case bearer && strings.EqualFold(scheme, "Bearer"):
			tok := strings.TrimLeft(rest, " ")
			if hasID || hasSecret {
				return oauth.Credentials{}, "", errTwoMethods
			}
			if tok == "" || strings.ContainsAny(tok, " \t") {
				return oauth.Credentials{}, "", authFailed("The bearer credential is malformed.")
			}
			return oauth.Credentials{}, tok, nil
		}
		return oauth.Credentials{}, "", authFailed("Authenticate with HTTP Basic (client id and secret).")
	case !hasID || !hasSecret || formID[0] == "" || form.Get("client_secret") == "":
		return oauth.Credentials{}, "", authFailed("Authenticate with HTTP Basic, or send client_id and client_secret in the body.")
	}
	return oauth.Credentials{ID: formID[0], Secret: form.Get("client_secret")}, "", nil
}

// authFailed is invalid_client with its own description.
func authFailed(desc string) *oauth.Error {
	return &oauth.Error{Code: oauth.CodeInvalidClient, Status: http.StatusUnauthorized, Description: desc}
}

// oauthHeaders are set on every OAuth answer: tokens and their details
// must never be cached (RFC 6749 §5.1).
func oauthHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// writeOAuth answers v as JSON with status.
func writeOAuth(w http.ResponseWriter, status int, v any) {
	oauthHeaders(w)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeOAuthError answers a refusal as RFC 6749 §5.2 says: the code and a
// description, never what the caller sent. invalid_client is a 401 with
// the challenges of the ways the endpoint accepts.
func writeOAuthError(w http.ResponseWriter, e *oauth.Error, challenges ...string) {
	if e.Status == http.StatusUnauthorized {
		for _, c := range challenges {
			w.Header().Add("WWW-Authenticate", c)
		}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeOAuth(w, e.Status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description,omitempty"`
	}{e.Code, e.Description})
}
