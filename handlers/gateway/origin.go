package gateway

import (
	"net/url"
	"strings"
)

// Origin is u's origin as a browser writes it (RFC 6454): scheme://host,
// both lower-case, with the port only when it is not the scheme's default.
func Origin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}
