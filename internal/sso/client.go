package sso

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/portico/portico/internal/netguard"
)

// maxResponse bounds what is read of any answer of an identity provider
// (discovery, keys, tokens, userinfo): a few KiB in practice.
const maxResponse = 1 << 20

// ErrPrivateAddress refuses a connection to an address inside the
// network: an issuer URL is typed by staff, and a provider's discovery
// names further URLs, so neither may turn the portal into a way into its
// own network.
var ErrPrivateAddress = netguard.ErrPrivateAddress

// NewHTTPClient returns the client that reaches identity providers: short
// timeouts, answers read up to 1 MiB, and, unless allowPrivate (for a
// provider run on premises), no connection to an address inside the
// network, checked on the address actually dialled (after DNS), on every
// connection.
func NewHTTPClient(allowPrivate bool) *http.Client {
	t := netguard.Transport(allowPrivate, 5*time.Second, 10*time.Second)
	return &http.Client{Timeout: 15 * time.Second, Transport: limitBodies{t}}
}

// limitBodies reads answers up to maxResponse: a provider (or something
// pretending to be one) cannot make the portal read without end.
type limitBodies struct{ next http.RoundTripper }

func (l limitBodies) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = limitedBody{Reader: io.LimitReader(resp.Body, maxResponse), Closer: resp.Body}
	return resp, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}

// privateRefusal tells whether err is a refused private address.
func privateRefusal(err error) bool { return errors.Is(err, ErrPrivateAddress) }
