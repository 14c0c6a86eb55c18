// Package requestid decides which caller-sent request ids the portal and
// the gateway carry through: a load balancer's id keeps a request
// traceable end to end, anything else is replaced.
package requestid

import "strings"

// credentialPrefix starts every Portico credential (see internal/token,
// which this package does not import to stay a leaf).
const credentialPrefix = "ptc_"

// Valid reports whether s is a short plain token (8 to 64 letters,
// digits, '-' or '_'), safe to echo in headers, logs and error bodies. A
// credential fits that shape, and an id is stored and logged everywhere,
// so anything holding "ptc_" is refused (and replaced by a fresh id).
func Valid(s string) bool {
	if len(s) < 8 || len(s) > 64 || strings.Contains(s, credentialPrefix) {
		return false
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return true
}
