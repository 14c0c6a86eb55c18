package gateway

import (
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// validCache remembers the requests of an API that passed validation, so
// a call asking what an earlier one asked skips kin-openapi (about a
// dozen allocations a call, most of the chain's). It holds only what
// validation is a pure function of: an operation whose parameters are all
// in the path or the query and whose body is not read (no schema), so its
// verdict depends on the operation, the path and the raw query alone. It
// lives in the API's entry, so a new revision of the document starts
// empty; it holds at most validCacheEntries requests of at most
// validCacheKey bytes each (about 1 MiB an API at worst), and is emptied
// when full rather than kept in order: a flood of distinct queries costs
// what it cost without the cache.
type validCache struct {
	mu sync.RWMutex
	m  map[validKey]validated
}

const (
	validCacheEntries = 1024
	validCacheKey     = 512
)

type validKey struct {
	op          *operation
	rest, query string
}

// validated is what validating a request left behind: its path parameters
// (shared, read only) and its query as kin-openapi set it (a parameter's
// default added when absent).
type validated struct {
	params map[string]string
	query  string
}

// check validates r for op as validate does, from the cache when it can:
// it returns the path parameters of rest.
func (g *Gateway) check(e *apiEntry, r *http.Request, op *operation, rest string) (map[string]string, error) {
	if !op.pure || len(rest)+len(r.URL.RawQuery) > validCacheKey {
		params := op.pathParams(rest)
		return params, g.validate(r, op, rest, params)
	}
	k := validKey{op, rest, r.URL.RawQuery}
	c := &e.valid
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		r.URL.RawQuery = v.query
		return v.params, nil
	}
	params := op.pathParams(rest)
	if err := g.validate(r, op, rest, params); err != nil {
		return params, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= validCacheEntries {
		c.m = make(map[validKey]validated)
	}
	c.m[k] = validated{params: params, query: r.URL.RawQuery}
	c.mu.Unlock()
	return params, nil
}

// pureParams reports whether validating an operation reads nothing of a
// request but its path and query: no header or cookie parameter, of the
// operation or of its path.
func pureParams(item *openapi3.PathItem, op *openapi3.Operation) bool {
	for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range ps {
			if p == nil || p.Value == nil {
				return false
			}
			if in := p.Value.In; in != openapi3.ParameterInPath && in != openapi3.ParameterInQuery {
				return false
			}
		}
	}
	return true
}
