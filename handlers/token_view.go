package handlers

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// expiryWarning is how close to its expiry an open token gets a warning.
const expiryWarning = 7 * 24 * time.Hour

// tokenList says which list rows are built for: the owner's own list
// offers every action; a partner's list (admins, staff) revokes and
// approves, through revokePath.
type tokenList struct {
	own        bool
	revokePath func(t *store.Token) string
}

// tokenRows turns tokens into list rows with the actions a may take.
func (h *Handler) tokenRows(c echo.Context, a access.Actor, ts []store.Token, l tokenList) ([]views.TokenRow, error) {
	names, err := h.apiNames(c.Request().Context())
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rows := make([]views.TokenRow, 0, len(ts))
	for i := range ts {
		t := &ts[i]
		status := t.Status(now)
		open := status == "active" || status == "pending"
		can := func(act access.Action) bool { return access.CanToken(a, act, t.UserID, t.PartnerID) == access.Allow }
		r := views.TokenRow{
			ID: t.ID, Name: t.Name, Hint: t.Hint, Environment: t.Environment, Status: status,
			Scopes:  groupScopes(t.Scopes, names),
			Created: formatTime(t.CreatedAt), Expires: formatTime(t.ExpiresAt),
			Owner: t.OwnerName, OwnerEmail: t.OwnerEmail,
			CanRevoke:  open && can(access.RevokeToken),
			CanApprove: status == "pending" && can(access.ApproveToken),
		}
		if t.RateLimitPerMinute != nil {
			r.RateLimit = *t.RateLimitPerMinute
		}
		if t.ClientID != nil {
			r.ClientID, r.Networks = *t.ClientID, t.AllowedNetworks
		}
		if l.own {
			r.CanRegenerate = open && can(access.RegenerateToken)
			r.CanRename = status != "revoked" && can(access.RenameToken)
			r.CanLimit = open && can(access.LimitToken)
			r.RevokePath = tokenPath(t.ID, "revoke")
		} else {
			r.RevokePath = l.revokePath(t)
		}
		if left := t.ExpiresAt.Sub(now); open && left < expiryWarning {
			r.ExpiresSoon, r.ExpiresIn = true, inDuration(left)
		}
		if t.LastUsedAt != nil {
			r.LastUsed = formatTime(*t.LastUsedAt)
			if t.LastUsedIP != nil {
				r.LastUsedIP = *t.LastUsedIP
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// partnerRevokePath is the revocation confirmation of a partner's token
// for someone other than its owner: under the partner directory for staff,
// from the partner's token list for its admin (who comes back there).
func partnerRevokePath(staff bool, partnerID, tokenID int64) string {
	if staff {
		return partnerTokensPath(partnerID) + "/" + strconv.FormatInt(tokenID, 10) + "/revoke"
	}
	return tokenPath(tokenID, "revoke") + "?from=partner"
}

func tokenPath(id int64, action string) string {
	return "/tokens/" + strconv.FormatInt(id, 10) + "/" + action
}

// inDuration says how far away d is, rounded: "in 7 days", "in 5 hours".
func inDuration(d time.Duration) string {
	switch {
	case d >= 36*time.Hour:
		return "in " + strconv.Itoa(int(math.Round(d.Hours()/24))) + " days"
	case d >= 23*time.Hour:
		return "in 1 day"
	case d >= 90*time.Minute:
		return "in " + strconv.Itoa(int(math.Round(d.Hours()))) + " hours"
	case d >= 45*time.Minute:
		return "in about an hour"
	}
	return "within the hour"
}

// apiNames maps API slugs to their names, to label scopes.
func (h *Handler) apiNames(ctx context.Context) (map[string]string, error) {
	ls, err := h.store.ListAPIListings(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(ls))
	for _, l := range ls {
		names[l.Slug] = l.Name
	}
	return names, nil
}

// groupScopes groups "SLUG/SCOPE" by API, then the portal scopes under
// the management API.
func groupScopes(scopes []string, names map[string]string) []views.ScopeGroup {
	var out []views.ScopeGroup
	index := map[string]int{}
	var portal []string
	for _, s := range scopes {
		slug, scope, ok := strings.Cut(s, "/")
		if !ok {
			portal = append(portal, s)
			continue
		}
		i, seen := index[slug]
		if !seen {
			label := names[slug]
			if label == "" {
				label = slug // an API deleted since
			}
			i = len(out)
			index[slug] = i
			out = append(out, views.ScopeGroup{Label: label})
		}
		out[i].Scopes = append(out[i].Scopes, scope)
	}
	if len(portal) > 0 {
		out = append(out, views.ScopeGroup{Label: "Management API", Scopes: portal})
	}
	return out
}

// scopeGroups labels a token's scopes for a page.
func (h *Handler) scopeGroups(c echo.Context, scopes []string) ([]views.ScopeGroup, error) {
	names, err := h.apiNames(c.Request().Context())
	if err != nil {
		return nil, err
	}
	return groupScopes(scopes, names), nil
}

// curlExample is a call with the token: a GET without path parameters of
// its first API that one of its scopes allows, or the management API when
// it holds portal scopes only.
func (h *Handler) curlExample(ctx context.Context, t *store.Token) (curl, docs string) {
	base := strings.TrimSuffix(h.cfg.BaseURL, "/")
	const head = "curl -H \"Authorization: Bearer $PORTICO_TOKEN\" \\\n  "
	for _, s := range t.Scopes {
		slug, _, ok := strings.Cut(s, "/")
		if !ok {
			continue
		}
		return head + h.gatewayBase() + "/" + t.Environment + "/" + slug + h.examplePath(ctx, slug, t.Scopes), "/apis/" + url.PathEscape(slug)
	}
	return head + base + "/api/v1/apis", ""
}

// examplePath finds an operation for the curl example; "/" when there is
// none to show (the documentation lists them all).
func (h *Handler) examplePath(ctx context.Context, slug string, scopes []string) string {
	api, err := h.store.APIBySlug(ctx, slug)
	if err != nil {
		return "/"
	}
	rev, err := h.store.CurrentRevision(ctx, api.ID)
	if err != nil {
		return "/"
	}
	var ops []catalog.Operation
	if json.Unmarshal(rev.Operations, &ops) != nil {
		return "/"
	}
	for _, o := range ops {
		if o.Method != "GET" || strings.Contains(o.Path, "{") {
			continue
		}
		for _, need := range o.Scopes {
			for _, have := range scopes {
				if have == slug+"/"+need {
					return o.Path
				}
			}
		}
	}
	return "/"
}
