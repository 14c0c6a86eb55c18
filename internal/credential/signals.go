package credential

import (
	"net/netip"
	"time"
)

// maxNets and maxRefusals bound what one flush interval keeps in memory:
// past them new networks and refusals of that interval are dropped (a
// flood of made-up addresses cannot grow the maps).
const (
	maxNets     = 10000
	maxRefusals = 10000
)

// netKey is a credential and a network it was used from.
type netKey struct {
	id  int64
	net netip.Prefix
}

// networkOf is the network of ip that the new-network alert compares: the
// /24 of an IPv4 address, the /48 of an IPv6 one. No allocation.
func networkOf(id int64, ip string) (netKey, bool) {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return netKey{}, false
	}
	addr = addr.Unmap()
	bits := 48
	if addr.Is4() {
		bits = 24
	}
	p, err := addr.WithZone("").Prefix(bits)
	if err != nil {
		return netKey{}, false
	}
	return netKey{id: id, net: p}, true
}

// refusalKey is a credential refused for a reason in an hour (Unix
// seconds of its start).
type refusalKey struct {
	hour   int64
	id     int64
	reason string
}

// recordRefusal counts a presentation of a known credential that was
// refused; Flush writes the counts.
func (v *Verifier) recordRefusal(id int64, reason string, at time.Time) {
	k := refusalKey{hour: at.Truncate(time.Hour).Unix(), id: id, reason: reason}
	v.usesMu.Lock()
	if _, ok := v.refusals[k]; ok || len(v.refusals) < maxRefusals {
		v.refusals[k]++
	}
	v.usesMu.Unlock()
}
