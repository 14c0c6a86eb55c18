package handlers

import "strings"

// gatewayBase is the URL the pages give for the machine surface (/sandbox,
// /live, /oauth): the gateway's own listener when it has one, the portal's
// otherwise; "" when neither is configured.
func (h *Handler) gatewayBase() string {
	if h.cfg.GatewayURL != "" {
		return strings.TrimSuffix(h.cfg.GatewayURL, "/")
	}
	return strings.TrimSuffix(h.cfg.BaseURL, "/")
}
