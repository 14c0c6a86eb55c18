package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico/portico/internal/netguard"
)

// Bounds of a delivery: a receiver should answer at once and queue its
// own work.
const (
	dialTimeout     = 5 * time.Second
	deliveryTimeout = 10 * time.Second
	// maxResponseRead is what is read of an answer (and then dropped);
	// maxResponseKept is what the delivery log keeps of it.
	maxResponseRead = 64 << 10
	maxResponseKept = 1024
	maxURL          = 2000
)

// ErrPrivateAddress refuses an endpoint inside the portal's network.
var ErrPrivateAddress = netguard.ErrPrivateAddress

// NewClient returns the client deliveries use: HTTPS only, no redirect
// followed (a 3xx is a failed delivery), short timeouts and, unless
// allowPrivate (for receivers on premises, and tests), no connection to
// an address inside the network, checked on the address dialled on every
// connection. roots are the CAs trusted (nil: the system's).
func NewClient(allowPrivate bool, roots *x509.CertPool) *http.Client {
	t := netguard.Transport(allowPrivate, dialTimeout, deliveryTimeout)
	t.MaxResponseHeaderBytes = 16 << 10
	t.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{
		Timeout:   deliveryTimeout,
		Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// URLError says what is wrong with an endpoint's URL, in words for the
// form.
type URLError struct{ Reason string }

func (e *URLError) Error() string { return e.Reason }

// CheckURL refuses what no delivery may go to: anything but an absolute
// https URL with a host, credentials in the URL, a fragment, and (unless
// allowPrivate) a host that is or resolves to an address inside the
// network. It returns the URL as it will be stored.
func CheckURL(ctx context.Context, raw string, allowPrivate bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", &URLError{"Enter the URL of the endpoint."}
	}
	if len(raw) > maxURL {
		return "", &URLError{fmt.Sprintf("The URL is too long: at most %d characters.", maxURL)}
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "" {
		return "", &URLError{"Enter a whole URL, such as https://hooks.example.com/portico."}
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return "", &URLError{"Webhooks are sent over HTTPS only: the URL must start with https://."}
	}
	if u.User != nil {
		return "", &URLError{"Leave user names and passwords out of the URL: every delivery is signed instead."}
	}
	if u.Fragment != "" || strings.Contains(raw, "#") {
		return "", &URLError{"Leave the #fragment out of the URL: it is never sent."}
	}
	u.Scheme = "https"
	if !allowPrivate {
		lookup, cancel := context.WithTimeout(ctx, dialTimeout)
		defer cancel()
		if err := netguard.CheckHost(lookup, net.DefaultResolver, u.Hostname()); err != nil {
			if errors.Is(err, netguard.ErrPrivateAddress) {
				return "", &URLError{"That address is inside the portal's own network (loopback, private or link-local), where webhooks are not sent."}
			}
			return "", &URLError{"The host " + u.Hostname() + " could not be found. Check the URL."}
		}
	}
	return u.String(), nil
}
