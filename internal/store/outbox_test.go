package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

func enqueueMails(t *testing.T, st *store.Store, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		id, err := st.EnqueueMail(context.Background(), store.NewMail{
			ToEmail: fmt.Sprintf("dev%d@partner.test", i), Subject: fmt.Sprintf("Mail %d", i), TextBody: "text", HTMLBody: "<p>html</p>",
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

func claimIDs(t *testing.T, st *store.Store, limit int, lease time.Duration) []int64 {
	t.Helper()
	ms, err := st.ClaimMails(context.Background(), limit, lease)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, m := range ms {
		if m.Status != store.MailSending || m.ClaimedUntil == nil {
			t.Errorf("claimed mail %d: status %s claimed_until %v, want sending with a lease", m.ID, m.Status, m.ClaimedUntil)
		}
		ids = append(ids, m.ID)
	}
	return ids
}

func mail(t *testing.T, st *store.Store, id int64) *store.OutboxMail {
	t.Helper()
	m, err := st.Mail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOutboxEnqueueFollowsTransaction(t *testing.T) {
	t.Parallel()
	for _, commit := range []bool{true, false} {
		t.Run(fmt.Sprintf("commit=%v", commit), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := pgtest.Store(t)
			errRollback := errors.New("roll back")
			err := st.InTx(ctx, func(tx *store.Store) error {
				if _, err := tx.EnqueueMail(ctx, store.NewMail{ToEmail: "a@b.test", Subject: "s", TextBody: "t"}); err != nil {
					return err
				}
				if !commit {
					return errRollback
				}
				return nil
			})
			if commit != (err == nil) {
				t.Fatalf("InTx = %v", err)
			}
			_, total, err := st.ListMails(ctx, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]int{true: 1, false: 0}[commit]; total != want {
				t.Errorf("%d mails queued, want %d", total, want)
			}
		})
	}
}

func TestOutboxLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	ids := enqueueMails(t, st, 3)

	// Oldest first, in batches; a claimed mail is not claimed again.
	if got := claimIDs(t, st, 2, time.Minute); !cmp.Equal(got, ids[:2]) {
		t.Errorf("first claim %v, want %v", got, ids[:2])
	}
	if got := claimIDs(t, st, 2, time.Minute); !cmp.Equal(got, ids[2:]) {
		t.Errorf("second claim %v, want %v", got, ids[2:])
	}
	if got := claimIDs(t, st, 2, time.Minute); len(got) != 0 {
		t.Errorf("third claim %v, want nothing", got)
	}

	// A temporary failure retries at retryAt; only then is it due again.
	if err := st.MarkMailFailed(ctx, ids[0], "421 busy", time.Now().Add(time.Hour), false, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkMailFailed(ctx, ids[1], "421 busy", time.Now().Add(-time.Second), false, nil); err != nil {
		t.Fatal(err)
	}
	if m := mail(t, st, ids[0]); m.Status != store.MailPending || m.LastError == nil || *m.LastError != "421 busy" || m.ClaimedUntil != nil {
		t.Errorf("after a temporary failure: %+v", m)
	}
	if got := claimIDs(t, st, 10, time.Minute); !cmp.Equal(got, ids[1:2]) {
		t.Errorf("claim after failures %v, want only the due one %v", got, ids[1:2])
	}
	if m := mail(t, st, ids[1]); m.Attempts != 2 {
		t.Errorf("attempts after the second claim = %d, want 2", m.Attempts)
	}

	// Sent and permanently failed mails are never claimed again.
	if err := st.MarkMailSent(ctx, ids[1], nil); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkMailFailed(ctx, ids[2], "550 no such user", time.Now(), true, nil); err != nil {
		t.Fatal(err)
	}
	m := mail(t, st, ids[1])
	if m.Status != store.MailSent || m.SentAt == nil || m.LastError != nil || m.ClaimedUntil != nil {
		t.Errorf("after sent: %+v", m)
	}
	if m := mail(t, st, ids[2]); m.Status != store.MailFailed || *m.LastError != "550 no such user" {
		t.Errorf("after a permanent failure: %+v", m)
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE outbox SET next_attempt_at = now() - interval '1 day'`); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, st, 10, time.Minute); !cmp.Equal(got, ids[:1]) {
		t.Errorf("claim when everything is due %v, want only the pending %v", got, ids[:1])
	}

	// Recording an outcome for a mail that is not being sent, or unknown.
	if err := st.MarkMailFailed(ctx, ids[1], "late", time.Now(), false, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkMailFailed on a sent mail = %v, want ErrNotFound", err)
	}
	if err := st.MarkMailSent(ctx, 999999, nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("MarkMailSent on an unknown mail = %v, want ErrNotFound", err)
	}
	if _, err := st.ClaimMails(ctx, 0, time.Minute); err == nil {
		t.Error("ClaimMails with limit 0: want an error")
	}
}

func TestOutboxExpiredLeaseAndRenewal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	id := enqueueMails(t, st, 1)[0]
	claimIDs(t, st, 10, time.Minute)

	// The first claimer renews while its lease holds.
	if ok, err := st.RenewMailClaim(ctx, id, 1, time.Minute); err != nil || !ok {
		t.Fatalf("RenewMailClaim by the holder = %v, %v; want true", ok, err)
	}
	// It dies: its lease runs out, and another sender takes the mail over.
	if _, err := st.DB().ExecContext(ctx, `UPDATE outbox SET claimed_until = now() - interval '1 second', next_attempt_at = now() - interval '1 second' WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, st, 10, time.Minute); !cmp.Equal(got, []int64{id}) {
		t.Fatalf("claim after the lease ran out = %v, want [%d]", got, id)
	}
	if m := mail(t, st, id); m.Attempts != 2 {
		t.Errorf("attempts = %d, want 2 (the interrupted attempt counts)", m.Attempts)
	}
	// The first claimer, back to life, learns it lost the mail.
	if ok, err := st.RenewMailClaim(ctx, id, 1, time.Minute); err != nil || ok {
		t.Errorf("RenewMailClaim by the old holder = %v, %v; want false", ok, err)
	}
	if ok, err := st.RenewMailClaim(ctx, id, 2, time.Minute); err != nil || !ok {
		t.Errorf("RenewMailClaim by the new holder = %v, %v; want true", ok, err)
	}
}

func TestOutboxReleaseMails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	ids := enqueueMails(t, st, 2)
	claimIDs(t, st, 10, time.Hour)
	if err := st.ReleaseMails(ctx, ids); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if m := mail(t, st, id); m.Status != store.MailPending || m.Attempts != 0 || m.ClaimedUntil != nil {
			t.Errorf("released mail %d: %+v", id, m)
		}
	}
	if got := claimIDs(t, st, 10, time.Hour); !cmp.Equal(got, ids) {
		t.Errorf("claim after release = %v, want %v at once", got, ids)
	}
}

func TestOutboxConcurrentClaimsAreDisjoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	const n = 100
	enqueueMails(t, st, n)
	var (
		mu      sync.Mutex
		claimed = map[int64]int{}
		wg      sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for {
				ms, err := st.ClaimMails(ctx, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ms) == 0 {
					return
				}
				mu.Lock()
				for _, m := range ms {
					claimed[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != n {
		t.Errorf("%d distinct mails claimed, want %d", len(claimed), n)
	}
	for id, c := range claimed {
		if c != 1 {
			t.Errorf("mail %d claimed %d times", id, c)
		}
	}
}

func TestOutboxListMails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	ids := enqueueMails(t, st, 5)
	tests := []struct {
		limit, offset int
		want          []int64
	}{
		{2, 0, []int64{ids[4], ids[3]}},
		{2, 2, []int64{ids[2], ids[1]}},
		{2, 4, []int64{ids[0]}},
		{2, 6, nil},
	}
	for _, tt := range tests {
		ms, total, err := st.ListMails(ctx, tt.limit, tt.offset)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, m := range ms {
			got = append(got, m.ID)
		}
		if !cmp.Equal(tt.want, got) || total != 5 {
			t.Errorf("ListMails(%d, %d) = %v (total %d), want %v (total 5)", tt.limit, tt.offset, got, total, tt.want)
		}
	}
	if _, err := st.Mail(ctx, 999999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Mail(unknown) = %v, want ErrNotFound", err)
	}
}
