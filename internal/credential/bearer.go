package credential

import (
	"errors"
	"strings"
)

// Problems of an Authorization header, each with the words to say.
var (
	// ErrNoCredential: no Authorization header, or an empty one.
	ErrNoCredential = errors.New("no credential")
	// ErrSeveralCredentials: more than one Authorization header. Serving
	// the first (or the last) would let a proxy in between and the
	// portal disagree on who is calling: refused rather than chosen.
	//lint:ignore ST1005 answered to the caller as the error's message, a sentence
	ErrSeveralCredentials = errors.New("Send exactly one Authorization header, with one token.")
	// ErrNotBearer: another scheme, or more than one token in the value.
	//lint:ignore ST1005 answered to the caller as the error's message, a sentence
	ErrNotBearer = errors.New(`The Authorization header must be "Bearer" followed by a personal access token.`)
)

// Bearer returns the one token of a request's Authorization header values
// (as the request holds them: every header of that name). The scheme name
// is case-insensitive (RFC 7235); a value holding a second credential
// (after a comma or a space) is ErrNotBearer. It does not allocate.
func Bearer(values []string) (string, error) {
	switch {
	case len(values) > 1:
		return "", ErrSeveralCredentials
	case len(values) == 0 || values[0] == "":
		return "", ErrNoCredential
	}
	h := values[0]
	if len(h) < 7 || !strings.EqualFold(h[:7], "Bearer ") {
		return "", ErrNotBearer
	}
	t := strings.TrimSpace(h[7:])
	if t == "" || strings.ContainsAny(t, ", \t") {
		return "", ErrNotBearer
	}
	return t, nil
}
