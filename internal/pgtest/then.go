package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/portico/portico/internal/store"
)

// MainThen is Main with a check of every database the tests left in the
// shared cluster, run after the tests while the cluster still runs (a scan
// for secrets at rest, say). check gets each database's URL; an error
// fails the run. Databases the tests dropped are not seen.
func MainThen(m *testing.M, check func(urls []string) error) int {
	code := m.Run()
	if shared != nil && sharedErr == nil {
		if err := checkLeft(check); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: after the tests:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	stopClusters()
	return code
}

func checkLeft(check func(urls []string) error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := store.Open(ctx, shared.URL("postgres"))
	if err != nil {
		return err
	}
	var names []string
	err = admin.SelectContext(ctx, &names, `SELECT datname FROM pg_database WHERE datname LIKE 'test\_%' ORDER BY datname`)
	admin.Close()
	if err != nil {
		return err
	}
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = shared.URL(n)
	}
	return check(urls)
}
