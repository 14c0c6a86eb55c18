package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// finishGateway checks PORTICO_GATEWAY_ADDR, the machine surface's own
// listener, and derives its public URL (PORTICO_GATEWAY_URL, by default
// the portal's scheme and host name with the gateway's port).
func (c *Config) finishGateway() error {
	c.GatewayURL = nil
	if c.GatewayAddr == "" {
		if c.gatewayURL != "" {
			return &Error{"PORTICO_GATEWAY_URL", "is set but PORTICO_GATEWAY_ADDR is not: the gateway has no listener of its own to be reached at"}
		}
		return nil
	}
	_, port, err := net.SplitHostPort(c.GatewayAddr)
	if err != nil || port == "" {
		return &Error{"PORTICO_GATEWAY_ADDR", fmt.Sprintf("%q is not a host:port address (example: 127.0.0.1:8081)", c.GatewayAddr)}
	}
	if c.GatewayAddr == c.Addr || c.GatewayAddr == c.MetricsAddr {
		return &Error{"PORTICO_GATEWAY_ADDR", fmt.Sprintf("%q is PORTICO_ADDR or PORTICO_METRICS_ADDR: the gateway needs a listener of its own", c.GatewayAddr)}
	}
	raw := c.gatewayURL
	if raw == "" {
		raw = c.BaseURL.Scheme + "://" + net.JoinHostPort(c.BaseURL.Hostname(), port)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return &Error{"PORTICO_GATEWAY_URL", fmt.Sprintf("%q is not an absolute http(s) URL such as https://api.example.com", raw)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.GatewayURL = u
	return nil
}
