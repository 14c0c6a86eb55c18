package people_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
)

// parallel runs fn n times at once and returns the errors.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestConcurrentResetRequestsKeepTheCap asks for 20 reset links of one
// account at once: no more than three are made and mailed (issue 11,
// finding 2: the count and the insert were separate steps).
func TestConcurrentResetRequestsKeepTheCap(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	for _, err := range parallel(20, func(int) error { return svc.RequestPasswordReset(ctx, "dev@harbor.test", "") }) {
		if err != nil {
			t.Fatal(err)
		}
	}
	var links, mails int
	if err := st.DB().Get(&links, `SELECT count(*) FROM password_resets r JOIN users u ON u.id = r.user_id WHERE u.email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	if err := st.DB().Get(&mails, `SELECT count(*) FROM outbox WHERE to_email = 'dev@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	if links != 3 || mails != 3 {
		t.Errorf("20 concurrent reset requests made %d links and %d mails, want 3 and 3", links, mails)
	}
}

// TestInvitationsAreCappedPerPartner sends invitations at once near the
// hourly cap: exactly the ones left under it go out, the rest are refused
// with a retry time, and another partner is not affected.
func TestInvitationsAreCappedPerPartner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	admin, err := st.UserByEmail(ctx, "admin@crane.test")
	if err != nil {
		t.Fatal(err)
	}
	actor := access.Actor{UserID: admin.ID, Role: admin.Role, PartnerID: *admin.PartnerID}
	// Five under the cap (the earlier ones sent this hour).
	if _, err := st.DB().Exec(`INSERT INTO attempt_counters (kind, key, window_start, count) VALUES ($1, $2, now(), $3)`,
		store.CounterInvitation, fmt.Sprint(*admin.PartnerID), people.InvitationsPerHour-5); err != nil {
		t.Fatal(err)
	}
	sent, limited := 0, 0
	for _, err := range parallel(15, func(i int) error {
		_, err := svc.Invite(ctx, actor, *admin.PartnerID, fmt.Sprintf("new%d@crane.test", i), access.RoleDeveloper)
		return err
	}) {
		var limit *people.LimitError
		switch {
		case err == nil:
			sent++
		case errors.As(err, &limit) && limit.RetryAfter > 0:
			limited++
		default:
			t.Fatalf("invite: %v", err)
		}
	}
	if sent != 5 || limited != 10 {
		t.Errorf("15 concurrent invitations 5 under the cap: %d sent, %d refused; want 5 and 10", sent, limited)
	}
	// A resend is an invitation mail too.
	inv, err := st.OpenInvitations(ctx, *admin.PartnerID)
	if err != nil || len(inv) == 0 {
		t.Fatalf("invitations: %d, %v", len(inv), err)
	}
	var limit *people.LimitError
	if _, err := svc.Resend(ctx, actor, *admin.PartnerID, inv[0].ID); !errors.As(err, &limit) {
		t.Errorf("resend past the cap: %v, want a LimitError", err)
	}
	harbor, _ := st.UserByEmail(ctx, "admin@harbor.test")
	if _, err := svc.Invite(ctx, access.Actor{UserID: harbor.ID, Role: harbor.Role, PartnerID: *harbor.PartnerID}, *harbor.PartnerID, "new@harbor.test", access.RoleDeveloper); err != nil {
		t.Errorf("another partner's invitation: %v", err)
	}
}

// TestResetRequestsCappedPerAddress asks, from one address and all at
// once, for more resets than its hourly budget, each for a different
// email (existing or not): exactly the budget is served, the rest are
// refused with a retry time, and another address is not affected.
func TestResetRequestsCappedPerAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, svc := setup(t)
	n := people.ResetRequestsPerAddress + 10
	var served, refused int
	for _, err := range parallel(n, func(i int) error {
		email := fmt.Sprintf("nobody%d@example.test", i)
		if i == 0 {
			email = "dev@harbor.test"
		}
		return svc.RequestPasswordReset(ctx, email, "203.0.113.9")
	}) {
		var limit *people.LimitError
		switch {
		case err == nil:
			served++
		case errors.As(err, &limit) && limit.RetryAfter > 0:
			refused++
		default:
			t.Fatalf("reset request: %v", err)
		}
	}
	if served != people.ResetRequestsPerAddress || refused != 10 {
		t.Errorf("%d concurrent requests from one address: %d served, %d refused; want %d and 10", n, served, refused, people.ResetRequestsPerAddress)
	}
	if err := svc.RequestPasswordReset(ctx, "admin@harbor.test", "198.51.100.7"); err != nil {
		t.Errorf("a request from another address: %v", err)
	}
	var mails int
	if err := st.DB().Get(&mails, `SELECT count(*) FROM outbox WHERE to_email = 'admin@harbor.test'`); err != nil {
		t.Fatal(err)
	}
	if mails != 1 {
		t.Errorf("mails to admin@harbor.test = %d, want 1", mails)
	}
}
