package handlers_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// leftDump finds, in every table of the database (bytea read as its
// bytes), what looks like a Portico credential or the demo password. The
// bodies of mails not yet delivered may hold their links' secrets: their
// prefixes are blurred first, so they no longer parse.
const leftDump = `
WITH t AS (
	SELECT c.relname, string_agg(CASE
		WHEN c.relname = 'outbox' AND a.attname IN ('text_body', 'html_body')
			THEN format('CASE WHEN status <> ''sent'' THEN regexp_replace(%I, ''ptc_(inv|rst|eml)_'', ''ptc-link-'', ''g'') ELSE %I END', a.attname, a.attname)
		WHEN a.atttypid = 'bytea'::regtype THEN format('encode(%I, ''escape'')', a.attname)
		ELSE format('%I::text', a.attname) END, ', ' ORDER BY a.attnum) AS cols
	FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	WHERE n.nspname = current_schema() AND c.relkind = 'r'
	GROUP BY c.relname)
SELECT t.relname AS table, m[1] AS found
FROM t, LATERAL (SELECT query_to_xml(format('SELECT concat_ws('' | '', %s) AS v FROM %I', t.cols, t.relname), false, false, '')::text AS x) q,
	LATERAL regexp_matches(q.x, '(ptc_[a-z]+_[0-9A-Za-z]{40,}|' || $1 || ')', 'g') m`

// scanLeftDatabases runs after every test of the package (TestMain): no
// database any test left holds a credential Portico issued (one that
// parses, checksum included) or the demo password, outside the links of
// mails not yet delivered. Tests insert fake tokens of their own (hashes
// of names, "ptc_inv_unknown"); those do not parse and are not counted.
func scanLeftDatabases(urls []string) error {
	start := time.Now()
	var (
		mu    sync.Mutex
		errs  []error
		found int
		next  = make(chan string)
		wg    sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range next {
				hits, err := scanLeft(u)
				mu.Lock()
				found += len(hits)
				if err != nil {
					errs = append(errs, err)
				}
				for _, h := range hits {
					errs = append(errs, errors.New(h))
				}
				mu.Unlock()
			}
		}()
	}
	for _, u := range urls {
		next <- u
	}
	close(next)
	wg.Wait()
	if len(errs) == 0 && testing.Verbose() {
		fmt.Printf("plaintext scan: %d databases left by the tests, no credential at rest (%v)\n", len(urls), time.Since(start).Round(time.Millisecond))
	}
	return errors.Join(errs...)
}

func scanLeft(url string) ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := store.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var rows []struct{ Table, Found string }
	if err := db.SelectContext(ctx, &rows, leftDump, demo.Password); err != nil {
		return nil, fmt.Errorf("scan %s: %w", dbName(url), err)
	}
	var hits []string
	for _, r := range rows {
		if r.Found == demo.Password {
			hits = append(hits, fmt.Sprintf("%s: the table %s holds the demo password in plaintext", dbName(url), r.Table))
			continue
		}
		if _, err := token.Parse(r.Found); err == nil {
			hits = append(hits, fmt.Sprintf("%s: the table %s holds a credential in plaintext: %s", dbName(url), r.Table, token.Hint(r.Found)))
		}
	}
	return hits, nil
}

func dbName(url string) string {
	name, _, _ := strings.Cut(strings.TrimPrefix(url, "postgres:///"), "?")
	return name
}

// scanCapturedLogs: no log a test captured (internal/logtest) holds a
// credential that parses or the demo password.
func scanCapturedLogs() error {
	var errs []error
	logs := logtest.All()
	for _, l := range logs {
		for _, m := range anyCredential.FindAllString(l, -1) {
			if _, err := token.Parse(m); err == nil {
				errs = append(errs, fmt.Errorf("a captured log holds a credential in plaintext: %s", token.Hint(m)))
			}
		}
		if strings.Contains(l, demo.Password) {
			errs = append(errs, errors.New("a captured log holds the demo password"))
		}
	}
	if len(errs) == 0 && testing.Verbose() {
		fmt.Printf("plaintext scan: %d captured logs, no credential\n", len(logs))
	}
	return errors.Join(errs...)
}

// scanAfterTests is what TestMain checks after every test of the package.
func scanAfterTests(urls []string) error {
	return errors.Join(scanLeftDatabases(urls), scanCapturedLogs())
}
