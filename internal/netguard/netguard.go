// Package netguard keeps the portal's outgoing connections out of its own
// network. Addresses typed by people (an identity provider's issuer, a
// webhook endpoint) must not turn the portal into a way to reach loopback,
// private, link-local or cloud metadata addresses, so the check runs on
// the address actually dialled, after DNS, on every connection: a name
// that resolves to a public address at registration and to 127.0.0.1 a
// second later (DNS rebinding) is still refused.
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress refuses a connection to an address inside the network.
var ErrPrivateAddress = errors.New("address is loopback, private or link-local")

// Transport returns an HTTP transport for calls to addresses people
// typed: no proxy, dial and TLS handshake bounded by timeout, headers
// answered within headerTimeout and at most 64 KiB, and, unless
// allowPrivate, no connection inside the network (Control).
func Transport(allowPrivate bool, timeout, headerTimeout time.Duration) *http.Transport {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = Control
	}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  headerTimeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// Control is a net.Dialer Control function refusing addresses inside the
// network; it sees the resolved address of each connection.
func Control(_, address string, _ syscall.RawConn) error { return CheckDialled(address) }

// CheckDialled refuses a host:port whose host is an address inside the
// network (or not an address at all).
func CheckDialled(address string) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
	}
	if Private(ip.Unmap()) {
		return fmt.Errorf("%w: %s", ErrPrivateAddress, ip)
	}
	return nil
}

// Private reports an address nothing on the internet has: loopback,
// private (RFC 1918, ULA), link-local (cloud metadata at 169.254.169.254
// among them), carrier-grade NAT, unspecified and multicast.
func Private(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() ||
		cgnat.Contains(ip) || !ip.IsValid()
}

// cgnat is the shared address space of carrier-grade NAT (RFC 6598).
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// CheckHost resolves host (a name or an address) and refuses it when any
// of its addresses is inside the network, so a form can say so at once;
// the dialer's Control still decides for each connection.
func CheckHost(ctx context.Context, r *net.Resolver, host string) error {
	if ip, err := netip.ParseAddr(host); err == nil {
		if Private(ip) {
			return fmt.Errorf("%w: %s", ErrPrivateAddress, ip)
		}
		return nil
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	for _, ip := range addrs {
		if Private(ip) {
			return fmt.Errorf("%w: %s resolves to %s", ErrPrivateAddress, host, ip)
		}
	}
	return nil
}
