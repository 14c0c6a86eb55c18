package pgtest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/portico/portico/internal/password"
	"github.com/portico/portico/internal/store"
)

// MainThen is Main with a check run after the tests, while the shared
// cluster still runs (a scan for secrets at rest, say). check gets the URL
// of every database the tests left (none when no test used the cluster);
// an error fails the run. Databases the tests dropped are not seen.
func MainThen(m *testing.M, check func(urls []string) error) int {
	password.UseTestCost()
	code := m.Run()
	var urls []string
	var err error
	if shared != nil && sharedErr == nil {
		urls, err = leftDatabases()
	}
	if err == nil {
		err = check(urls)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: after the tests:", err)
		if code == 0 {
			code = 1
		}
	}
	stopClusters()
	return code
}

// leftDatabases are the URLs of the shared cluster's test databases.
func leftDatabases() ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := store.Open(ctx, shared.URL("postgres"))
	if err != nil {
		return nil, err
	}
	var names []string
	err = admin.SelectContext(ctx, &names, `SELECT datname FROM pg_database WHERE datname LIKE 'test\_%' ORDER BY datname`)
	_ = admin.Close() // the query's error is the one to report; the names are read
	if err != nil {
		return nil, err
	}
	urls := make([]string, len(names))
	for i, n := range names {
		urls[i] = shared.URL(n)
	}
	return urls, nil
}
