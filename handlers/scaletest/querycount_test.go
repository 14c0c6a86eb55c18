package scaletest_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/portico/portico/internal/dataset"
	"github.com/portico/portico/internal/pgtest"
)

// The two sizes TestQueryCounts compares: rows in every list (members,
// teams, a team's members, tokens, grants, groups, APIs, revisions,
// staff, mails, partners). The larger is past 200, the batch size of
// lists read in batches, so a loop of batched queries shows too.
const (
	fewRows  = 3
	manyRows = 250
)

// TestQueryCounts counts the SQL statements of each list page and API list
// for every role that sees it, on a data set with few rows per list and on
// one with many, and fails if a request runs more statements on more rows
// (an N+1 or a loop of batches). It also checks that every role listed for
// a page gets it, and every other role does not.
func TestQueryCounts(t *testing.T) {
	t.Parallel()
	counts := map[int]map[string]int64{}
	sizes := map[int]map[string]int{}
	for _, n := range []int{fewRows, manyRows} {
		counts[n], sizes[n] = map[string]int64{}, map[string]int{}
	}
	t.Run("sizes", func(t *testing.T) {
		for _, n := range []int{fewRows, manyRows} {
			t.Run(fmt.Sprint(n), func(t *testing.T) {
				t.Parallel()
				countQueries(t, n, counts[n], sizes[n])
			})
		}
	})
	if t.Failed() {
		return
	}
	for _, c := range cases() {
		key := c.page.name + " as " + c.role
		if c.page.same&roleBit(c.role) == 0 && sizes[manyRows][key] <= sizes[fewRows][key] {
			t.Errorf("GET %s as %s: %d bytes with %d rows per list, %d with %d: the data set does not lengthen this list, so its count proves nothing",
				c.page.name, c.role, sizes[fewRows][key], fewRows, sizes[manyRows][key], manyRows)
		}
		few, many := counts[fewRows][key], counts[manyRows][key]
		t.Logf("%-40s %-16s %3d statements (%d rows), %3d (%d rows)", c.page.name, c.role, few, fewRows, many, manyRows)
		if many > few {
			t.Errorf("GET %s as %s runs %d SQL statements with %d rows per list but %d with %d: the count grows with the rows", c.page.name, c.role, many, manyRows, few, fewRows)
		}
	}
}

// countQueries generates a data set of n rows per list, requests every
// page as every role and records, for the roles that see it, the fewer
// statements of two requests and the bytes of the page.
func countQueries(t *testing.T, n int, counts map[string]int64, sizes map[string]int) {
	db, counter := pgtest.CountingDB(t, pgtest.URL(t))
	res, err := dataset.Generate(context.Background(), db, dataset.Uniform(n), nil)
	if err != nil {
		t.Fatalf("generate %d rows per list: %v", n, err)
	}
	p := newPortal(t, db, counter, res)
	for _, pg := range pages {
		path := pg.path(res)
		for i, role := range roles {
			s := p.get(t, role.name, path)
			if pg.roles&(1<<i) == 0 {
				if s.status == http.StatusOK {
					t.Errorf("GET %s as %s = 200; the page list says this role does not see it", pg.name, role.name)
				}
				continue
			}
			if s.status != http.StatusOK {
				t.Errorf("GET %s (%s) as %s = %d, want 200", pg.name, path, role.name, s.status)
				continue
			}
			// The fewer of two: a first request may fill a cache or renew the session.
			counts[pg.name+" as "+role.name] = min(s.queries, p.get(t, role.name, path).queries)
			sizes[pg.name+" as "+role.name] = s.bytes
		}
	}
}
