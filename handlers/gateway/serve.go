package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/portico/portico/internal/credential"
	"github.com/portico/portico/internal/ratelimit"
	"github.com/portico/portico/internal/token"
)

// serve runs the chain of one call; every refusal is a JSON error.
func (g *Gateway) serve(x *exchange, r *http.Request, rid, clientIP string) {
	env, slug, rest, ok := split(r.URL.Path)
	if !ok {
		writeError(x, http.StatusNotFound, codeNotFound, "Call /sandbox/{api}/… or /live/{api}/…, with the API's slug from the catalog.", rid)
		return
	}
	x.call.Environment, x.call.API = env, slug
	// A token in the URL ends up in logs and histories: refuse it without
	// looking at it, and never log the query.
	if tokenInURL(r) {
		challenge(x, codeInvalidRequest, "", "")
		writeError(x, http.StatusBadRequest, codeInvalidRequest,
			"Send the token in the Authorization header (Authorization: Bearer ptc_…), never in the URL. Revoke that token now: it may have been recorded.", rid)
		return
	}
	// Two Authorization headers (or two credentials in one) would let
	// whichever is read first win: refuse them rather than choose.
	var auth string
	switch hs := r.Header["Authorization"]; len(hs) {
	case 0:
	case 1:
		auth = hs[0]
	default:
		challenge(x, codeInvalidRequest, "", "")
		writeError(x, http.StatusBadRequest, codeInvalidRequest, "Send exactly one Authorization header, with one token.", rid)
		return
	}
	if auth == "" {
		challenge(x, "", "", "")
		writeError(x, http.StatusUnauthorized, codeInvalidToken, "This API needs a personal access token: Authorization: Bearer ptc_…", rid)
		return
	}
	plain, found := bearer(auth)
	if !found {
		challenge(x, codeInvalidRequest, "", "")
		writeError(x, http.StatusBadRequest, codeInvalidRequest, `The Authorization header must be "Bearer" followed by a personal access token.`, rid)
		return
	}
	ctx := r.Context()
	p, err := g.d.Verifier.Verify(ctx, plain, env, clientIP)
	if err != nil {
		g.refuseToken(x, err, env, rid)
		return
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
			g.d.Log.Error("gateway: list APIs", "request_id", rid, "err", err)
			writeError(x, http.StatusInternalServerError, codeInternal, "The gateway failed to load this API. Quote the request id to support.", rid)
		case st == "retired":
			writeError(x, http.StatusGone, codeGone, "This API was retired and answers no more calls.", rid)
		default:
			writeError(x, http.StatusNotFound, codeNotFound, "There is no API "+strconv.Quote(slug)+" granted to you. See the catalog in the portal.", rid)
		}
		return
	}
	entry, err := g.apis.get(ctx, slug, g.now())
	if errors.Is(err, errNoAPI) {
		writeError(x, http.StatusNotFound, codeNotFound, "There is no API "+strconv.Quote(slug)+" granted to you. See the catalog in the portal.", rid)
		return
	}
	if err != nil {
		g.d.Log.Error("gateway: load API", "api", slug, "request_id", rid, "err", err)
		writeError(x, http.StatusInternalServerError, codeInternal, "The gateway failed to load this API. Quote the request id to support.", rid)
		return
	}
	if entry.api.Status == "retired" {
		writeError(x, http.StatusGone, codeGone, "This API was retired and answers no more calls.", rid)
		return
	}
	op, methodOK := entry.match(r.Method, rest)
	if op == nil {
		if !methodOK {
			writeError(x, http.StatusMethodNotAllowed, codeMethodNotAllowed, r.Method+" is not an operation of this path.", rid)
			return
		}
		writeError(x, http.StatusNotFound, codeNotFound, "No operation of this API matches "+token.RedactPath(rest)+".", rid)
		return
	}
	x.call.Operation = op.id
	if !holdsOne(p, slug, op.scopes) {
		challenge(x, codeInsufficientScope, "", strings.Join(op.scopes, " "))
		writeError(x, http.StatusForbidden, codeInsufficientScope,
			fmt.Sprintf("%s needs the scope %s, which this token does not hold (or which is no longer granted to you).", op.id, strings.Join(op.scopes, " or ")), rid)
		return
	}
	if !g.limit(x, r, p, grant, rid) {
		return
	}
	if !g.admitBody(x, r, p.PartnerID, entry.maxBody, rid) {
		return
	}
	if entry.deprecation != "" {
		x.Header().Set("Deprecation", entry.deprecation)
		if entry.sunset != "" {
			x.Header().Set("Sunset", entry.sunset)
		}
	}
	params := op.pathParams(rest)
	if err := g.validate(r, op, rest, params); err != nil {
		if x.bodyRefused() {
			x.refuse()
			return
		}
		writeError(x, http.StatusBadRequest, codeInvalidRequest, err.Error(), rid)
		return
	}
	if env == "sandbox" {
		g.d.Sandbox.Serve(x, r, SandboxRequest{PartnerID: p.PartnerID, API: slug, Spec: entry.spec, Route: op.route, PathParams: params})
		return
	}
	if entry.proxy == nil {
		writeError(x, http.StatusServiceUnavailable, codeNoUpstream, "This API has no live upstream configured yet; use the sandbox.", rid)
		return
	}
	g.forward(x, r, entry, p, grant, rest, rid, clientIP)
}

// refuseToken answers a token the verifier refused.
func (g *Gateway) refuseToken(x *exchange, err error, env, rid string) {
	code, msg := codeInvalidToken, "The access token is invalid or has been revoked."
	switch {
	case errors.Is(err, credential.ErrInvalid):
	case errors.Is(err, credential.ErrExpired):
		code, msg = codeTokenExpired, "The access token has expired: regenerate it or create a new one in the portal."
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

// Validation options: the body is read only when it has a schema.
var (
	withBody    = openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}
	withoutBody = openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: true}
)

// validate checks the request against the operation's parameters and body.
func (g *Gateway) validate(r *http.Request, op *operation, rest string, params map[string]string) error {
	if op.route.Operation == nil {
		return nil
	}
	orig := r.URL.Path
	r.URL.Path = rest // the document's paths are relative to the API
	defer func() { r.URL.Path = orig }()
	opts := &withBody
	if !op.bodySchema {
		// Nothing to check in the body: leave it unread, to be streamed.
		opts = &withoutBody
		if rb := op.route.Operation.RequestBody; rb != nil && rb.Value != nil && rb.Value.Required && r.ContentLength == 0 {
			return errors.New("The request body is invalid: value is required but missing")
		}
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: op.check, Options: opts}
	err := openapi3filter.ValidateRequest(r.Context(), in)
	if err == nil {
		return nil
	}
	return errors.New(validationMessage(err))
}

// validationMessage names the offending parameter or body field.
func validationMessage(err error) string {
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		var se *openapi3.SchemaError
		detail := re.Reason
		if errors.As(re.Err, &se) {
			detail = se.Reason
			if ptr := se.JSONPointer(); len(ptr) > 0 && re.Parameter == nil {
				return "Request body field " + strings.Join(ptr, ".") + ": " + detail
			}
		} else if detail == "" && re.Err != nil {
			detail = re.Err.Error()
		}
		if re.Parameter != nil {
			return fmt.Sprintf("The %s parameter %q is invalid: %s", re.Parameter.In, re.Parameter.Name, detail)
		}
		if re.RequestBody != nil {
			return "The request body is invalid: " + detail
		}
		return detail
	}
	var se *openapi3filter.SecurityRequirementsError
	if errors.As(err, &se) {
		return "The request does not meet the API's security requirements."
	}
	return "The request does not match the API's document."
}

// tokenPolicy names a token's own limit in the RateLimit headers.
const tokenPolicy = "token"

// limit applies the limits of the call, setting the RateLimit headers:
// the token's own rate limit when its owner set one, the partner's rate
// limit for the access group through which it reaches the API, and the
// group's monthly quota; false when the call was refused (and answered).
//
// The token's own limit is checked first, so that the calls it refuses
// spend nothing of the partner's: one token at its cap cannot use up what
// its colleagues share. Of two limits that both allow the call, the
// headers report the one with fewer calls left.
func (g *Gateway) limit(x *exchange, r *http.Request, p *credential.Principal, grant *credential.APIGrant, rid string) bool {
	l := grant.Limit
	if g.d.Limiter != nil && (l.PerMinute > 0 || p.TokenLimit > 0) {
		var td ratelimit.Decision
		if p.TokenLimit > 0 {
			d, err := g.d.Limiter.Allow(r.Context(), p.TokenRateKey, p.TokenLimit)
			if err != nil {
				limiterDown(x, rid)
				return false
			}
			if !d.Allowed {
				ratelimit.SetHeaders(x.Header(), tokenPolicy, d)
				writeError(x, http.StatusTooManyRequests, codeTokenRateLimited,
					fmt.Sprintf("This token's own limit is %d requests per minute, set by its owner in the portal below your organisation's limits. Retry after %d s.", p.TokenLimit, retrySeconds(d.RetryAfter)), rid)
				return false
			}
			td = d
		}
		if l.PerMinute > 0 {
			d, err := g.d.Limiter.Allow(r.Context(), l.RateKey, l.PerMinute)
			if err != nil {
				limiterDown(x, rid)
				return false
			}
			if !d.Allowed {
				ratelimit.SetHeaders(x.Header(), l.Policy, d)
				writeError(x, http.StatusTooManyRequests, codeRateLimited,
					fmt.Sprintf("Your organisation's limit for this API is %d requests per minute (access group %q). Retry after %d s.", l.PerMinute, l.Policy, retrySeconds(d.RetryAfter)), rid)
				return false
			}
			if td.Limit <= 0 || !closer(td, d) {
				ratelimit.SetHeaders(x.Header(), l.Policy, d)
			} else {
				ratelimit.SetHeaders(x.Header(), tokenPolicy, td)
			}
		} else {
			ratelimit.SetHeaders(x.Header(), tokenPolicy, td)
		}
	}
	if g.d.Quota != nil && l.MonthlyQuota > 0 {
		now := g.now()
		used, ok, err := g.d.Quota.Use(r.Context(), l.QuotaKey, l.MonthlyQuota, now)
		if err != nil {
			g.d.Log.Warn("gateway: quota unavailable, allowing", "request_id", rid, "err", err)
			return true
		}
		if !ok {
			y, m, _ := now.UTC().Date()
			next := time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
			x.Header().Set("Retry-After", strconv.Itoa(int(next.Sub(now).Seconds())+1))
			writeError(x, http.StatusTooManyRequests, codeQuotaExceeded,
				fmt.Sprintf("Your organisation used its monthly quota of %d calls (%d so far) for access group %q; it renews on %s.", l.MonthlyQuota, used, l.Policy, next.Format("2 January 2006")), rid)
			return false
		}
	}
	return true
}

// limiterDown answers a call whose limits cannot be checked. The
// limiter's own failure mode decided already (it wraps the backend): an
// error means "refuse".
func limiterDown(x *exchange, rid string) {
	x.Header().Set("Retry-After", "1")
	writeError(x, http.StatusServiceUnavailable, codeUnavailable, "Rate limits cannot be checked right now; try again shortly.", rid)
}

// closer reports whether decision a, of two that allowed a call, is closer
// to refusing than b: fewer calls left, or b's backend did not answer.
func closer(a, b ratelimit.Decision) bool {
	if a.Degraded != b.Degraded {
		return b.Degraded
	}
	return a.Remaining < b.Remaining
}

func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

// tokenInURL reports whether the URL carries what looks like a credential,
// percent-encoded or not.
func tokenInURL(r *http.Request) bool {
	return looksLikeToken(r.URL.RawQuery) || looksLikeToken(r.URL.Path) || token.InPath(r.URL.Path)
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

// bearer returns the credential of an Authorization header, whose scheme
// name is case-insensitive (RFC 7235).
// A value holding a second credential ("Bearer a, Bearer b") is refused.
func bearer(h string) (string, bool) {
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	if strings.ContainsAny(t, ", \t") {
		return "", false
	}
	return t, true
}
