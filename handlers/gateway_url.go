package handlers

import (
	"net/url"
	"strings"

	"github.com/portico/portico/handlers/gateway"
)

// gatewayBase is the URL the pages give for the machine surface (/sandbox,
// /live, /oauth): the gateway's own listener when it has one, the portal's
// otherwise; "" when neither is configured.
func (h *Handler) gatewayBase() string {
	if h.cfg.GatewayURL != "" {
		return strings.TrimSuffix(h.cfg.GatewayURL, "/")
	}
	return strings.TrimSuffix(h.cfg.BaseURL, "/")
}

// gatewayOrigin is the origin of the gateway's own listener at URL u, ""
// when it has none (or u is not an absolute URL).
func gatewayOrigin(u string) string {
	p, err := url.Parse(u)
	if u == "" || err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return gateway.Origin(p)
}
