package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/token"
)

// target is what a call asks for: its method and its URL's path (decoded)
// and query. A gateway call's are its own; /auth/verify's are the original
// request's, as the proxy in front of the API reports them.
type target struct {
	method, path, query string
}

// authorized is a call the chain let through: who makes it, through which
// grant, and the API and operation it matched.
type authorized struct {
	p     *credential.Principal
	grant *credential.APIGrant
	entry *apiEntry
	op    *operation
	// env, slug and rest are the target's path cut by split.
	env, slug, rest string
}

// serve runs the chain of one call, then serves it: the sandbox backend or
// the live upstream. Every refusal is a JSON error.
func (g *Gateway) serve(x *exchange, r *http.Request, t target, rid, clientIP string) {
	a, ok := g.authorize(x, r, t, rid, clientIP)
	if !ok {
		return
	}
	p, entry, op, rest := a.p, a.entry, a.op, a.rest
	if !g.admitBody(x, r, p.PartnerID, entry.maxBody, rid) {
		return
	}
	deprecate(x, entry)
	params, err := g.check(entry, r, op, rest)
	if err != nil {
		if x.bodyRefused() {
			x.refuse()
			return
		}
		writeError(x, http.StatusBadRequest, codeInvalidRequest, err.Error(), rid)
		return
	}
	if a.env == "sandbox" {
		g.d.Sandbox.Serve(x, r, SandboxRequest{PartnerID: p.PartnerID, API: a.slug, Spec: entry.spec, Route: op.route, PathParams: params})
		return
	}
	if entry.proxy == nil {
		writeError(x, http.StatusServiceUnavailable, codeNoUpstream, "This API has no live upstream configured yet; use the sandbox.", rid)
		return
	}
	g.forward(x, r, entry, p, a.grant, rest, rid, clientIP)
}

// authorize runs the chain up to serving the call, for the gateway's own
// calls and /auth/verify's alike: the credential, the API and operation
// t names, the scope, the token's and the partner's limits. It answers a
// refusal itself and reports false; on success it has set the RateLimit
// headers and answered nothing yet.
func (g *Gateway) authorize(x *exchange, r *http.Request, t target, rid, clientIP string) (authorized, bool) {
	env, slug, rest, ok := split(t.path)
	if !ok {
		writeError(x, http.StatusNotFound, codeNotFound, "Call /sandbox/{api}/… or /live/{api}/…, with the API's slug from the catalog.", rid)
		return authorized{}, false
	}
	x.call.Environment, x.call.API = env, slug
	// A token in the URL ends up in logs and histories: refuse it without
	// looking at it, and never log the query.
	if tokenInURL(t.path, t.query) {
		challenge(x, codeInvalidRequest, "", "")
		writeError(x, http.StatusBadRequest, codeInvalidRequest,
			"Send the token in the Authorization header (Authorization: Bearer ptc_…), never in the URL. Revoke that token now: it may have been recorded.", rid)
		return authorized{}, false
	}
	if dotSegment(rest) {
		writeError(x, http.StatusBadRequest, codeInvalidRequest,
			"The path has a . or .. segment: call the operation's path as the API's documentation gives it.", rid)
		return authorized{}, false
	}
	plain, err := credential.Bearer(r.Header["Authorization"])
	switch {
	case errors.Is(err, credential.ErrNoCredential):
		challenge(x, "", "", "")
		writeError(x, http.StatusUnauthorized, codeInvalidToken, "This API needs a personal access token: Authorization: Bearer ptc_…", rid)
		return authorized{}, false
	case err != nil:
		challenge(x, codeInvalidRequest, "", "")
		writeError(x, http.StatusBadRequest, codeInvalidRequest, err.Error(), rid)
		return authorized{}, false
	}
	ctx := r.Context()
	p, err := g.d.Verifier.Verify(ctx, plain, env, clientIP)
	if err != nil {
		g.refuseToken(x, err, env, rid)
		return authorized{}, false
	}
	x.call.PartnerID, x.call.TokenID = p.PartnerID, p.TokenID
	grant := p.API(slug)
	if grant == nil {
		// An API the caller is not granted answers like one that does
		// not exist (the catalog shows partners only their own); a
		// retired one says so, since grants end with it.
		st, err := g.apis.status(ctx, slug, g.now())
		switch {
		case err != nil:
			g.loadFailed(x, "list APIs", slug, rid, err)
		case st == "retired":
			writeError(x, http.StatusGone, codeGone, "This API was retired and answers no more calls.", rid)
		default:
			writeError(x, http.StatusNotFound, codeNotFound, "There is no API "+strconv.Quote(slug)+" granted to you. See the catalog in the portal.", rid)
		}
		return authorized{}, false
	}
	entry, err := g.apis.get(ctx, slug, g.now())
	if errors.Is(err, errNoAPI) {
		writeError(x, http.StatusNotFound, codeNotFound, "There is no API "+strconv.Quote(slug)+" granted to you. See the catalog in the portal.", rid)
		return authorized{}, false
	}
	if err != nil {
		g.loadFailed(x, "load API", slug, rid, err)
		return authorized{}, false
	}
	if entry.metrics != nil {
		x.m = entry.metrics[envIndex(env)]
	}
	if entry.api.Status == "retired" {
		writeError(x, http.StatusGone, codeGone, "This API was retired and answers no more calls.", rid)
		return authorized{}, false
	}
	op, methodOK := entry.match(t.method, rest)
	if op == nil {
		if !methodOK {
			writeError(x, http.StatusMethodNotAllowed, codeMethodNotAllowed, t.method+" is not an operation of this path.", rid)
			return authorized{}, false
		}
		writeError(x, http.StatusNotFound, codeNotFound, "No operation of this API matches "+token.RedactPath(rest)+".", rid)
		return authorized{}, false
	}
	x.call.Operation = op.id
	if !holdsOne(p, slug, op.scopes) {
		challenge(x, codeInsufficientScope, "", strings.Join(op.scopes, " "))
		writeError(x, http.StatusForbidden, codeInsufficientScope,
			fmt.Sprintf("%s needs the scope %s, which this token does not hold (or which is no longer granted to you).", op.id, strings.Join(op.scopes, " or ")), rid)
		return authorized{}, false
	}
	if !g.limit(x, r, p, grant, rid) {
		return authorized{}, false
	}
	return authorized{p: p, grant: grant, entry: entry, op: op, env: env, slug: slug, rest: rest}, true
}

// deprecate sets the lifecycle headers of a deprecated API.
func deprecate(x *exchange, entry *apiEntry) {
	if entry.deprecation != "" {
		x.Header().Set("Deprecation", entry.deprecation)
		if entry.sunset != "" {
			x.Header().Set("Sunset", entry.sunset)
		}
	}
}

// refuseToken answers a token the verifier refused.
func (g *Gateway) refuseToken(x *exchange, err error, env, rid string) {
	code, msg := codeInvalidToken, "The access token is invalid or has been revoked."
	switch {
	case errors.Is(err, credential.ErrInvalid):
	case errors.Is(err, credential.ErrAccessTokenExpired):
		code, msg = codeTokenExpired, "The OAuth access token has expired: ask POST /oauth/token for a new one."
	case errors.Is(err, credential.ErrExpired):
		code, msg = codeTokenExpired, "The access token has expired: regenerate it or create a new one in the portal."
	case errors.Is(err, credential.ErrNetwork):
		// The credential is genuine but its owner restricted where it may
		// be used from: a 403, which asking again with it cannot fix.
		writeError(x, http.StatusForbidden, codeNetworkNotAllowed, "This credential may not be used from this network address: its allowed networks are set in the portal.", rid)
		return
	case errors.Is(err, credential.ErrPending):
		code, msg = codeTokenPending, "The access token waits for a partner admin's approval."
	case errors.Is(err, credential.ErrEnvironment):
		code, msg = codeWrongEnvironment, "This token is not for the "+env+" environment: use a ptc_sbx_ token on /sandbox and a ptc_live_ token on /live."
	default:
		g.d.Log.Error("gateway: verify token", "request_id", rid, "err", err)
		writeError(x, http.StatusServiceUnavailable, codeUnavailable, "The gateway cannot check credentials right now; try again shortly.", rid)
		return
	}
	challenge(x, codeInvalidToken, "", "")
	writeError(x, http.StatusUnauthorized, code, msg, rid)
}

func holdsOne(p *credential.Principal, api string, scopes []string) bool {
	for _, s := range scopes {
		if p.Allows(api, s) {
			return true
		}
	}
	return false
}

// tokenInURL reports whether a URL (its decoded path, its raw query) carries what looks like a credential,
// percent-encoded or not.
func tokenInURL(path, query string) bool {
	return looksLikeToken(query) || looksLikeToken(path) || token.InPath(path)
}

func looksLikeToken(s string) bool {
	if strings.Contains(s, "access_token") || strings.Contains(s, "ptc_") {
		return true
	}
	if strings.IndexByte(s, '%') < 0 {
		return false
	}
	u, err := url.QueryUnescape(s)
	return err == nil && (strings.Contains(u, "access_token") || strings.Contains(u, "ptc_"))
}
