package catalog

import (
	"context"
	"fmt"

	"github.com/portico/portico/internal/store"
)

// ScopeDescriptions returns the description each scope has in the
// OAuth2 security schemes of the given revisions' documents, by API id
// then scope name. Documents already parsed (by the docs page, the
// console or an earlier call) are not read again; the others are read in
// one query, whatever their number, parsed and kept.
func (s *Service) ScopeDescriptions(ctx context.Context, refs []store.RevisionRef) (map[int64]map[string]string, error) {
	out := make(map[int64]map[string]string, len(refs))
	var missing []store.RevisionRef
	s.mu.Lock()
	for _, r := range refs {
		if spec := s.parsed[revKey{r.APIID, r.Revision}]; spec != nil {
			out[r.APIID] = spec.Scopes
		} else {
			missing = append(missing, r)
		}
	}
	s.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	docs, err := s.store.RevisionSpecs(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		spec, err := Parse(d.Spec)
		if err != nil {
			return nil, fmt.Errorf("parse stored revision %d of API %d: %w", d.Revision, d.APIID, err)
		}
		s.mu.Lock()
		s.parsed[revKey{d.APIID, d.Revision}] = spec
		s.mu.Unlock()
		out[d.APIID] = spec.Scopes
	}
	return out, nil
}
