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
// among them), carrier-grade NAT, unspecified, multicast and the other
// reserved ranges; an IPv6 address that carries an IPv4 one (mapped,
// compatible, NAT64, 6to4) is judged by the IPv4 address it carries.
func Private(ip netip.Addr) bool {
	ip = ip.Unmap()
	if v4, ok := embedded(ip); ok {
		return Private(v4)
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || !ip.IsValid() {
		return true
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// reserved are further ranges no public service lives in.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),     // "this network"
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),  // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"), // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),   // reserved, and the broadcast address
	netip.MustParsePrefix("fec0::/10"),     // site-local (deprecated)
}

// embedded returns the IPv4 address an IPv6 one carries: IPv4-compatible
// (::a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16).
func embedded(ip netip.Addr) (netip.Addr, bool) {
	if !ip.Is6() {
		return netip.Addr{}, false
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip), compat.Contains(ip) && ip != netip.IPv6Unspecified() && ip != netip.IPv6Loopback():
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(ip):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	compat    = netip.MustParsePrefix("::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

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
