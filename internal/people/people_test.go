package people_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/demo"
	"github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func setup(t *testing.T) (*store.Store, *people.Service) {
	t.Helper()
	st := pgtest.Store(t)
	if _, err := demo.Seed(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	return st, people.New(st, token.NewHasher([]byte("k")), mail.NewOutbox(st), "http://portal.test")
}

// TestConcurrentDemotionsKeepAnAdmin has two admins demote each other at
// the same moment: exactly one demotion wins, the partner keeps an admin.
func TestConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	a, _ := st.UserByEmail(ctx, "admin@harbor.test")
	b, _ := st.UserByEmail(ctx, "dev@harbor.test")
	if _, err := svc.ChangeRole(ctx, *a.PartnerID, b.ID, access.RolePartnerAdmin); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 5; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, target := range []int64{a.ID, b.ID} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.ChangeRole(ctx, *a.PartnerID, target, access.RoleDeveloper)
			}()
		}
		wg.Wait()
		lastAdmin := 0
		for _, err := range errs {
			if errors.Is(err, people.ErrLastAdmin) {
				lastAdmin++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		n, err := st.CountPartnerAdmins(ctx, *a.PartnerID)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || lastAdmin != 1 {
			t.Fatalf("round %d: %d admins left, %d refusals; want 1 and 1", round, n, lastAdmin)
		}
		// Restore two admins for the next round.
		for _, id := range []int64{a.ID, b.ID} {
			if _, err := svc.ChangeRole(ctx, *a.PartnerID, id, access.RolePartnerAdmin); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestInvitationMailAndAcceptOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	admin, _ := st.UserByEmail(ctx, "admin@crane.test")
	inv, err := svc.Invite(ctx, access.Actor{UserID: admin.ID, Role: admin.Role, PartnerID: *admin.PartnerID}, *admin.PartnerID, "Once@Crane.test", access.RoleDeveloper)
	if err != nil {
		t.Fatal(err)
	}
	mails, _, err := st.ListMails(ctx, 10, 0)
	if err != nil || len(mails) != 1 {
		t.Fatalf("outbox = %d mails (%v), want 1", len(mails), err)
	}
	m := mails[0]
	if m.ToEmail != "once@crane.test" || m.Subject != "Cleo Crane invited you to Crane Works on Portico" {
		t.Errorf("mail to %q subject %q", m.ToEmail, m.Subject)
	}
	link := linkIn(t, m.TextBody)
	if !contains(m.HTMLBody, link) {
		t.Error("the HTML part lacks the link")
	}
	// The database holds only the hash of the token.
	var n int
	if err := st.DB().Get(&n, `SELECT count(*) FROM invitations WHERE token_hash = convert_to($1, 'UTF8')`, link); err != nil || n != 0 {
		t.Errorf("plaintext token stored (%d, %v)", n, err)
	}
	// Two acceptances race: one account is created.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Accept(ctx, link, "Olly Once", "tide tables at noon")
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if !errors.Is(err, people.ErrInvitationUsed) {
			t.Errorf("losing acceptance: %v, want ErrInvitationUsed", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d acceptances succeeded, want 1", ok)
	}
	if _, _, err := svc.Lookup(ctx, link); !errors.Is(err, people.ErrInvitationUsed) {
		t.Errorf("Lookup after accept = %v", err)
	}
	_ = inv
}

func linkIn(t *testing.T, body string) string {
	t.Helper()
	i := index(body, "ptc_inv_")
	if i < 0 {
		t.Fatalf("no token in %q", body)
	}
	j := i
	for j < len(body) && body[j] != '\n' {
		j++
	}
	if _, err := token.Parse(body[i:j]); err != nil {
		t.Fatalf("token in mail does not parse: %v", err)
	}
	return body[i:j]
}

func index(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func contains(s, sub string) bool { return index(s, sub) >= 0 }

func TestSlugify(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Harbor Logistics":   "harbor-logistics",
		"  Quay & Co. Ltd. ": "quay-co-ltd",
		"Ærø Shipping":       "r-shipping",
		"***":                "",
	} {
		if got := people.Slugify(in); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
	}
}
