package token

import "strings"

// redactedMark replaces the secret part of a credential found by RedactPath.
const redactedMark = "[redacted]"

// RedactPath returns p with every credential-shaped part cut to its kind:
// "/invitations/ptc_inv_9Xa…" becomes "/invitations/ptc_inv_[redacted]".
// It is applied to every URL path before it is stored or logged (the call
// audit, the access log, error messages), because a credential pasted into
// a URL must not survive in a second place; it works on any text, and the
// mail sender uses it on the bodies of delivered mails.
//
// "Credential-shaped" is deliberately loose: any "ptc_" — of any kind, or
// none, with or without a valid checksum — and the base62 and '_' characters
// that follow it. The prefix is also found percent-encoded, once or several
// times ("%70tc_", "%2570tc%5F"), since a raw path or a doubly decoded one
// is what some callers hold. A path with nothing to redact is returned as
// is, without allocating: the gateway calls this on every request.
func RedactPath(p string) string {
	if !strings.Contains(p, prefix) && strings.IndexByte(p, '%') < 0 {
		return p
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(p); {
		end, ok := matchPrefix(p, i)
		if !ok {
			i++
			continue
		}
		k, j := readKind(p, end)
		stop := skipSecret(p, j)
		if b.Len() == 0 {
			b.Grow(len(p))
		}
		b.WriteString(p[last:i])
		b.WriteString(prefix)
		if k != "" {
			b.WriteString(string(k))
			b.WriteByte('_')
		}
		b.WriteString(redactedMark)
		last, i = stop, stop
	}
	if last == 0 {
		return p
	}
	b.WriteString(p[last:])
	return b.String()
}

// InPath reports whether p holds what RedactPath would redact, without
// allocating: the gateway refuses such a URL.
func InPath(p string) bool {
	if !strings.Contains(p, prefix) && strings.IndexByte(p, '%') < 0 {
		return false
	}
	for i := 0; i < len(p); i++ {
		if _, ok := matchPrefix(p, i); ok {
			return true
		}
	}
	return false
}

// matchPrefix reports whether "ptc_", each byte literal or percent-encoded,
// starts at p[i], and where it ends.
func matchPrefix(p string, i int) (int, bool) {
	if p[i] != prefix[0] && p[i] != '%' {
		return 0, false
	}
	for k := 0; k < len(prefix); k++ {
		if i >= len(p) {
			return 0, false
		}
		c, next := decodeAt(p, i)
		if c != prefix[k] {
			return 0, false
		}
		i = next
	}
	return i, true
}

// readKind reads "<kind>_" at p[i] and returns a kind Portico issues and
// the index after its '_', or "" and i when what follows is no such kind.
func readKind(p string, i int) (Kind, int) {
	var buf [maxKindLen]byte
	n, j := 0, i
	for j < len(p) {
		c, next := decodeAt(p, j)
		j = next
		if c == '_' {
			if known, ok := canonical(Kind(buf[:n])); n >= minKindLen && ok {
				return known, j
			}
			return "", i
		}
		if n == maxKindLen || c < 'a' || c > 'z' {
			return "", i
		}
		buf[n] = c
		n++
	}
	return "", i
}

// skipSecret returns the index of the first byte after p[i] that, decoded,
// cannot be part of a credential (base62 or '_').
func skipSecret(p string, i int) int {
	for i < len(p) {
		c, next := decodeAt(p, i)
		if c != '_' && digitValue[c] == invalid {
			return i
		}
		i = next
	}
	return i
}

// decodeAt returns the byte at p[i], decoding a percent-escape there, and
// the index after it. An escape that decodes to '%' ("%25") followed by
// two hex digits is decoded again, so that multiply encoded text is seen
// as what it finally stands for. A stray '%' stands for itself.
func decodeAt(p string, i int) (byte, int) {
	if p[i] != '%' || i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
		return p[i], i + 1
	}
	c := unhex(p[i+1])<<4 | unhex(p[i+2])
	i += 3
	for c == '%' && i+1 < len(p) && isHex(p[i]) && isHex(p[i+1]) {
		c = unhex(p[i])<<4 | unhex(p[i+1])
		i += 2
	}
	return c, i
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
