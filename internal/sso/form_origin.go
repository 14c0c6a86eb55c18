package sso

import (
	"context"
	"fmt"
	"net/url"
	"regexp"

	"github.com/portico/portico/internal/store"
)

// originHost is what a host (and port) may be to be written into a
// Content-Security-Policy: letters, digits, dots, dashes, an IPv6 literal's
// brackets and colons; nothing that ends a source list or a directive.
var originHost = regexp.MustCompile(`^[A-Za-z0-9.\-\[\]:]{1,255}$`)

// AuthorizeOrigin is the origin (https://host[:port]) of p's authorization
// endpoint, from its discovery (cached, failures too). A page whose form starts a
// sign-in at p must let forms go there: browsers check the redirects of a
// form's submission against the page's CSP form-action, so the portal's
// 303 to the provider would otherwise be blocked.
func (s *Service) AuthorizeOrigin(ctx context.Context, p *store.IdentityProvider) (string, error) {
	if err := s.recentFailure(p); err != nil {
		return "", err
	}
	r, err := s.remote(ctx, p)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(r.provider.Endpoint().AuthURL)
	if err != nil || u.Scheme != "https" || !originHost.MatchString(u.Host) {
		return "", fmt.Errorf("identity provider %d: authorization endpoint %q is not an https URL", p.ID, r.provider.Endpoint().AuthURL)
	}
	return u.Scheme + "://" + u.Host, nil
}
