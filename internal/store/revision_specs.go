package store

import (
	"context"
	"fmt"

	"github.com/lib/pq"
)

// RevisionRef names one stored revision of an API.
type RevisionRef struct {
	APIID    int64 `db:"api_id"`
	Revision int   `db:"revision"`
}

// RevisionSpec is the document of one stored revision.
type RevisionSpec struct {
	RevisionRef
	Spec []byte `db:"spec"`
}

// RevisionSpecs returns the documents of the given revisions in one query
// (a page that needs several APIs' documents reads them together, not one
// query per API). Revisions that do not exist are left out.
func (s *Store) RevisionSpecs(ctx context.Context, refs []RevisionRef) ([]RevisionSpec, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	ids := make(pq.Int64Array, len(refs))
	revs := make(pq.Int64Array, len(refs))
	for i, r := range refs {
		ids[i], revs[i] = r.APIID, int64(r.Revision)
	}
	var out []RevisionSpec
	err := s.q.SelectContext(ctx, &out, `
		SELECT r.api_id, r.revision, r.spec
		FROM unnest($1::bigint[], $2::int[]) AS k(api_id, revision)
		JOIN api_revisions r ON r.api_id = k.api_id AND r.revision = k.revision`, ids, revs)
	if err != nil {
		return nil, fmt.Errorf("documents of %d revisions: %w", len(refs), err)
	}
	return out, nil
}
