package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/portico/portico/handlers"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/logtest"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// The passwords people type in the scan's story, besides the demo one.
const (
	scanInvitePassword = "Quartz-invited-pass-1"
	scanResetPassword  = "Quartz-reset-pass-22"
	scanNewPassword    = "Quartz-changed-pass-333"
	scanWrongPassword  = "Quartz-wrong-pass-4444"
)

// anyCredential finds Portico credentials in text: the kinds' prefixes
// and a base62 body (checked with token.Parse before counting).
var anyCredential = regexp.MustCompile(`ptc_[a-z]+_[0-9A-Za-z]{20,}`)

// plaintextScan is a portal whose every answer, mail and log line is kept,
// and the credentials and passwords it saw issued or typed.
type plaintextScan struct {
	p    *portal
	logs *logtest.Buffer
	mu   sync.Mutex
	// issued are the credentials seen in answers and mails; typed the
	// passwords and session cookies.
	issued map[string]bool
	typed  map[string]bool
}

func newPlaintextScan(t *testing.T) *plaintextScan {
	t.Helper()
	ctx := context.Background()
	db := pgtest.DB(t)
	st := store.New(db)
	if _, err := demo.Seed(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := demo.SeedCatalog(ctx, st); err != nil {
		t.Fatal(err)
	}
	logs := &logtest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app := handlers.New(testConfig(), handlers.Deps{Log: log, DB: db, Outbox: mail.NewOutbox(st), Mailer: noKick{}})
	srv := httptest.NewServer(app)
	t.Cleanup(srv.Close)
	s := &plaintextScan{p: &portal{srv: srv, store: st}, logs: logs, issued: map[string]bool{},
		typed: map[string]bool{demo.Password: true, scanInvitePassword: true, scanResetPassword: true, scanNewPassword: true, scanWrongPassword: true}}
	return s
}

// harvest keeps every credential in text.
func (s *plaintextScan) harvest(text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range anyCredential.FindAllString(text, -1) {
		if _, err := token.Parse(m); err == nil {
			s.issued[m] = true
		}
	}
}

// signIn signs email in with pw and keeps the session cookie as a secret.
func (s *plaintextScan) signIn(t *testing.T, email, pw string) *browser {
	t.Helper()
	b := s.p.browser(t)
	if res := b.signIn(email, pw); res.status != http.StatusSeeOther {
		t.Fatalf("sign in %s = %d", email, res.status)
	}
	u, _ := url.Parse(s.p.srv.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		s.typed[c.Value] = true
	}
	return b
}

// do sends a request as b (nil: anonymous) and harvests the answer.
// A body starting with { is JSON, else a form.
func (s *plaintextScan) do(t *testing.T, b *browser, method, path, body string, header ...string) (int, string) {
	t.Helper()
	if b == nil {
		b = s.p.browser(t)
	}
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	s.harvest(string(data))
	return resp.StatusCode, string(data)
}

// must is do that fails the test unless the status is one of want.
func (s *plaintextScan) must(t *testing.T, b *browser, method, path, body string, want ...int) string {
	t.Helper()
	status, out := s.do(t, b, method, path, body)
	for _, w := range want {
		if status == w {
			return out
		}
	}
	t.Fatalf("%s %s = %d, want %v: %.300s", method, path, status, want, gist(out))
	return ""
}

// link is the newest credential of kind in the mails to email.
func (s *plaintextScan) link(t *testing.T, email string, k token.Kind) string {
	t.Helper()
	bodies := s.p.mailsTo(t, email)
	for i := len(bodies) - 1; i >= 0; i-- {
		for _, m := range anyCredential.FindAllString(bodies[i], -1) {
			if p, err := token.Parse(m); err == nil && p.Kind == k {
				s.harvest(m)
				return m
			}
		}
	}
	t.Fatalf("no %s link in the mails to %s", k, email)
	return ""
}

func jsonField(t *testing.T, body, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not JSON: %.300s", body)
	}
	switch v := m[field].(type) {
	case string:
		return v
	case float64:
		return fmt.Sprint(int64(v))
	}
	t.Fatalf("no %q in %.300s", field, body)
	return ""
}

// linkKinds are the credentials a mail carries in its link.
var linkKinds = map[token.Kind]bool{token.KindInvite: true, token.KindPasswordReset: true, token.KindEmailChange: true}

// needles are what must not be found: every credential whole, without its
// prefix, and without its checksum too; every password and session
// cookie. withLinks false leaves out the links' credentials.
func (s *plaintextScan) needles(withLinks bool) map[string]string {
	out := map[string]string{}
	for c := range s.issued {
		p, _ := token.Parse(c)
		if !withLinks && linkKinds[p.Kind] {
			continue
		}
		body := strings.TrimPrefix(c, "ptc_"+string(p.Kind)+"_")
		out[c] = token.Hint(c) + " whole"
		out[body] = token.Hint(c) + " without its prefix"
		out[body[:len(body)-6]] = token.Hint(c) + " without its prefix and checksum"
	}
	for pw := range s.typed {
		if len(pw) > 6 {
			out[pw] = "a password or session cookie typed in the story (" + pw[:3] + "…)"
		}
	}
	return out
}

// scan fails the test for every needle found in text.
func (s *plaintextScan) scan(t *testing.T, where, text string) {
	t.Helper()
	s.scanFor(t, where, text, s.needles(true))
}

func (s *plaintextScan) scanFor(t *testing.T, where, text string, needles map[string]string) {
	t.Helper()
	for n, what := range needles {
		if i := strings.Index(text, n); i >= 0 {
			lo, hi := max(0, i-120), min(len(text), i+len(n)+40)
			t.Errorf("%s holds %s: …%s…", where, what, strings.ReplaceAll(text[lo:hi], n, "<HERE>"))
		}
	}
}

// scanDatabase reads every column of every row of every table (bytea as
// its bytes, so a secret inside a session's data or a hash column shows)
// and scans it. Mails not yet delivered may hold their links' secrets.
func (s *plaintextScan) scanDatabase(t *testing.T) {
	t.Helper()
	db := s.p.store.DB()
	var cols []struct {
		Table, Column, Type string
	}
	if err := db.Select(&cols, `
		SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
		WHERE n.nspname = current_schema() AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY c.relname, a.attnum`); err != nil {
		t.Fatal(err)
	}
	exprs := map[string][]string{}
	var tables []string
	for _, c := range cols {
		if exprs[c.Table] == nil {
			tables = append(tables, c.Table)
		}
		e := fmt.Sprintf("%q::text", c.Column)
		if c.Type == "bytea" {
			e = fmt.Sprintf("encode(%q, 'escape')", c.Column)
		}
		if c.Table == "outbox" && (c.Column == "text_body" || c.Column == "html_body") {
			e = fmt.Sprintf("CASE WHEN status = 'sent' THEN %s END", e)
		}
		exprs[c.Table] = append(exprs[c.Table], e)
	}
	rows := 0
	for _, tb := range tables {
		var dump []string
		if err := db.Select(&dump, fmt.Sprintf(`SELECT concat_ws(' | ', %s) FROM %q`, strings.Join(exprs[tb], ", "), tb)); err != nil {
			t.Fatalf("dump %s: %v", tb, err)
		}
		rows += len(dump)
		s.scan(t, "the table "+tb, strings.Join(dump, "\n"))
	}
	var mails []string
	if err := db.Select(&mails, `SELECT text_body || ' | ' || html_body FROM outbox WHERE status <> 'sent'`); err != nil {
		t.Fatal(err)
	}
	s.scanFor(t, "a mail not yet delivered", strings.Join(mails, "\n"), s.needles(false))
	if len(tables) < 30 || rows < 100 {
		t.Errorf("the dump read %d rows of %d tables: not the whole database", rows, len(tables))
	}
	t.Logf("scanned %d rows of %d tables, %d mails waiting, the logs and the audit trail for %d credentials and %d passwords and cookies",
		rows, len(tables), len(mails), len(s.issued), len(s.typed))
}
