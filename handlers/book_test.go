package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
)

// bookManager adds an account manager (signing in with demo.Password, as
// the demo's staff) assigned to the partners with the given slugs only,
// and returns their user id. The demo's am@portico.test manages both demo
// partners, so a test compares the two.
func bookManager(t *testing.T, p *portal, email string, slugs ...string) int64 {
	t.Helper()
	var id int64
	if err := p.store.DB().Get(&id, `
		INSERT INTO users (email, name, role, password_hash)
		SELECT $1, 'Sam Book', 'account_manager', password_hash FROM users WHERE email = 'am@portico.test'
		RETURNING id`, email); err != nil {
		t.Fatal(err)
	}
	for _, slug := range slugs {
		if _, err := p.store.AssignManager(context.Background(), partnerIDOf(t, p, slug), id, 0); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// partnerIDOf is the id of the partner with the slug.
func partnerIDOf(t *testing.T, p *portal, slug string) int64 {
	t.Helper()
	var id int64
	if err := p.store.DB().Get(&id, `SELECT id FROM partners WHERE slug = $1`, slug); err != nil {
		t.Fatalf("partner %s: %v", slug, err)
	}
	return id
}

// idText is an id as a URL gives it.
func idText(id int64) string { return strconv.FormatInt(id, 10) }

// apiGet reads a management API answer with b's session: the status and
// the body decoded into out (when the status is 200).
func (b *browser) apiGet(path string, out any) int {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	req.Header.Set("Accept", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK && out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			b.t.Fatalf("GET %s: %v", path, err)
		}
	}
	return resp.StatusCode
}
