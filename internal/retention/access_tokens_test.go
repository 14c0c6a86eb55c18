package retention

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// TestRunDeletesExpiredAccessTokens: OAuth access tokens more than a day
// past their expiry go, in batches; recent and live ones stay; the run's
// audit event says how many went.
func TestRunDeletesExpiredAccessTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, f.st); err != nil {
		t.Fatal(err)
	}
	u, err := f.st.UserByEmail(ctx, "dev@harbor.test")
	if err != nil {
		t.Fatal(err)
	}
	clientID, _ := token.NewPublicID(token.ClientIDPrefix)
	client, err := f.st.InsertToken(ctx, store.NewToken{UserID: u.ID, PartnerID: *u.PartnerID, Name: "Billing", Environment: "sandbox",
		Hash: []byte("client-hash"), Hint: "ptc_cs_…abcd", Scopes: []string{"fleet/fleet:read"},
		ExpiresAt: time.Now().Add(24 * time.Hour), ClientID: &clientID})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	insert := func(n int, prefix string, expires time.Time) {
		t.Helper()
		for i := range n {
			if _, err := f.st.InsertAccessToken(ctx, client, []byte(prefix+strings.Repeat("x", i+1)), []string{"fleet/fleet:read"}, expires); err != nil {
				t.Fatal(err)
			}
		}
	}
	insert(7, "old", now.Add(-25*time.Hour))
	insert(2, "recent", now.Add(-time.Hour)) // expired, kept a day for the record
	insert(1, "live", now.Add(10*time.Minute))
	r, err := New(f.st, Config{Batch: 3}, quiet).Once(ctx, true)
	if err != nil || !r.Complete {
		t.Fatalf("run = %+v, %v", r, err)
	}
	if r.AccessTokensDeleted != 7 {
		t.Errorf("deleted %d access tokens, want 7", r.AccessTokensDeleted)
	}
	var left int
	if err := f.db.Get(&left, `SELECT count(*) FROM oauth_access_tokens`); err != nil || left != 3 {
		t.Errorf("%d access tokens left, want 3 (%v)", left, err)
	}
	var n int
	if err := f.db.Get(&n, `SELECT (details->>'oauth_tokens_deleted')::int FROM audit_events WHERE action = 'retention.run' ORDER BY id DESC LIMIT 1`); err != nil || n != 7 {
		t.Errorf("audit event says %d, want 7 (%v)", n, err)
	}
}
