package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico/portico/internal/pgtest"
	"github.com/portico/portico/internal/store"
)

// quiet discards the sender's log where a test does not read it.
var quiet = slog.New(slog.DiscardHandler)

// fastConfig keeps the tests' waits in milliseconds.
func fastConfig() SenderConfig {
	return SenderConfig{
		PollInterval: 10 * time.Millisecond,
		BatchSize:    5,
		SendTimeout:  2 * time.Second,
		Lease:        5 * time.Second,
		BackoffBase:  20 * time.Millisecond,
		BackoffMax:   time.Second,
		MaxAttempts:  5,
	}
}

// transportFunc adapts a function to Transport.
type transportFunc func(ctx context.Context, m Message) error

func (f transportFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// startSender runs s until the returned stop is called or the test ends.
// stop cancels Run and waits for it to return.
func startSender(t *testing.T, s *Sender) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5s of cancellation")
		}
	})
	t.Cleanup(stop)
	return stop
}

// enqueue queues m in a committed transaction and returns its id.
func enqueue(t *testing.T, st *store.Store, m Message) int64 {
	t.Helper()
	ctx := context.Background()
	before, _, err := st.ListMails(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InTx(ctx, func(tx *store.Store) error { return NewOutbox(st).Enqueue(ctx, tx, m) }); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	after, _, err := st.ListMails(ctx, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) == 0 || (len(before) > 0 && after[0].ID == before[0].ID) {
		t.Fatal("enqueue: no new mail in the outbox")
	}
	return after[0].ID
}

func mailRow(t *testing.T, st *store.Store, id int64) *store.OutboxMail {
	t.Helper()
	m, err := st.Mail(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func waitStatus(t *testing.T, st *store.Store, id int64, status string) *store.OutboxMail {
	t.Helper()
	var m *store.OutboxMail
	eventually(t, 5*time.Second, fmt.Sprintf("mail %d to be %s", id, status), func() bool {
		m = mailRow(t, st, id)
		return m.Status == status
	})
	return m
}

func testMessage(i int) Message {
	return Message{
		ToEmail: fmt.Sprintf("dev%d@partner.test", i),
		Subject: fmt.Sprintf("Mail %d", i),
		Text:    fmt.Sprintf("text %d", i),
		HTML:    fmt.Sprintf("<p>html %d</p>", i),
	}
}

func TestEnqueueFollowsTheTransaction(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom")
	good := Message{ToEmail: "ann@partner.test", ToName: "Ann", Subject: "Hi", Text: "text", HTML: "<p>html</p>"}
	tests := []struct {
		name    string
		msg     Message
		fail    error // returned by the transaction after enqueueing
		wantErr bool
		want    []store.NewMail
	}{
		{name: "commit queues the mail", msg: good,
			want: []store.NewMail{{ToEmail: "ann@partner.test", ToName: "Ann", Subject: "Hi", TextBody: "text", HTMLBody: "<p>html</p>"}}},
		{name: "rollback queues nothing", msg: good, fail: errBoom, wantErr: true},
		{name: "invalid message aborts the transaction", msg: Message{ToEmail: "not an address", Subject: "Hi", Text: "t"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			st := pgtest.Store(t)
			o := NewOutbox(st)
			err := st.InTx(ctx, func(tx *store.Store) error {
				if err := o.Enqueue(ctx, tx, tt.msg); err != nil {
					return err
				}
				return tt.fail
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("InTx error = %v, want error: %v", err, tt.wantErr)
			}
			ms, total, err := o.List(ctx, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []store.NewMail
			for _, m := range ms {
				got = append(got, store.NewMail{ToEmail: m.ToEmail, ToName: m.ToName, Subject: m.Subject, TextBody: m.TextBody, HTMLBody: m.HTMLBody})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" || total != len(tt.want) {
				t.Errorf("outbox (total %d) (-want +got):\n%s", total, diff)
			}
		})
	}
}

func TestSenderDeliversThroughSMTPExactlyOnce(t *testing.T) {
	t.Parallel()
	st := pgtest.Store(t)
	srv := newFakeSMTP(t, fakeSMTPOptions{StartTLS: true})
	tr := smtpTransport(t, srv, "smtp://"+srv.Addr)
	log, logs := testLogger(t)
	const secret = "ptc_inv_Zm9vYmFyYmF6cXV4c2VjcmV0"
	mails := []Message{
		{ToEmail: "ann@partner.test", ToName: "Ann", Subject: "You are invited to Acme",
			Text: "Accept: https://portal.test/invitations/" + secret + "\n", HTML: `<p><a href="https://portal.test/invitations/` + secret + `">Accept</a></p>`},
		{ToEmail: "bob@partner.test", ToName: "Bob", Subject: "Your role changed", Text: "You are now an admin.\n", HTML: "<p>You are now an <b>admin</b>.</p>"},
	}

	// The first mail is waiting when the sender starts; the poll interval is
	// far beyond the test, so the second goes out only because of Kick.
	cfg := fastConfig()
	cfg.PollInterval = time.Hour
	first := enqueue(t, st, mails[0])
	s := NewSender(st, tr, log, cfg)
	stop := startSender(t, s)
	waitStatus(t, st, first, store.MailSent)
	second := enqueue(t, st, mails[1])
	s.Kick()
	waitStatus(t, st, second, store.MailSent)
	stop()

	// A restarted sender finds nothing left to send.
	restarted := NewSender(st, tr, log, fastConfig())
	stop = startSender(t, restarted)
	time.Sleep(50 * time.Millisecond) // several polls
	stop()

	got := srv.Received()
	if len(got) != len(mails) {
		t.Fatalf("server received %d mails, want %d (each exactly once)", len(got), len(mails))
	}
	for i, id := range []int64{first, second} {
		m := mails[i]
		if !cmp.Equal(got[i].To, []string{m.ToEmail}) {
			t.Errorf("mail %d went to %v, want [%s]", i, got[i].To, m.ToEmail)
		}
		p := parseMail(t, got[i].Data)
		if p.Subject != m.Subject || p.To.Address != m.ToEmail || p.To.Name != m.ToName {
			t.Errorf("mail %d: subject %q to %v, want %q to %s <%s>", i, p.Subject, p.To, m.Subject, m.ToName, m.ToEmail)
		}
		if diff := cmp.Diff(map[string]string{"text/plain": m.Text, "text/html": m.HTML}, p.Parts); diff != "" {
			t.Errorf("mail %d parts (-want +got):\n%s", i, diff)
		}
		if want := fmt.Sprintf("<portico.%d.", id); !strings.HasPrefix(p.MessageID, want) {
			t.Errorf("mail %d Message-ID %q, want it to start with %q", i, p.MessageID, want)
		}
		row := mailRow(t, st, id)
		if row.Status != store.MailSent || row.Attempts != 1 || row.SentAt == nil || row.LastError != nil || row.ClaimedUntil != nil {
			t.Errorf("mail %d row: status %s attempts %d sent_at %v last_error %v claimed_until %v; want sent once",
				i, row.Status, row.Attempts, row.SentAt, row.LastError, row.ClaimedUntil)
		}
	}
	out := logs.String()
	if strings.Contains(out, secret) || strings.Contains(out, "You are now an") {
		t.Errorf("the log contains a mail body:\n%s", out)
	}
	if !strings.Contains(out, "mail sent") || !strings.Contains(out, fmt.Sprintf("mail_id=%d", first)) {
		t.Errorf("the log does not record the sending with the mail id:\n%s", out)
	}
}

func TestSenderRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	var (
		mu        sync.Mutex
		calls     []time.Time
		lastError []string
	)
	tr := transportFunc(func(_ context.Context, m Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, time.Now())
		if len(calls) > 1 {
			row, err := st.Mail(ctx, mustID(m.Key))
			if err == nil && row.LastError != nil {
				lastError = append(lastError, *row.LastError)
			}
		}
		if len(calls) <= 2 {
			return fmt.Errorf("421 4.3.2 service not available (%d)", len(calls))
		}
		return nil
	})
	cfg := fastConfig()
	cfg.BackoffBase = 100 * time.Millisecond
	id := enqueue(t, st, testMessage(1))
	startSender(t, NewSender(st, tr, quiet, cfg))
	row := waitStatus(t, st, id, store.MailSent)

	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 3 || row.Attempts != 3 || row.LastError != nil {
		t.Fatalf("calls %d, attempts %d, last_error %v; want 3 calls, attempts 3 and no error left", len(calls), row.Attempts, row.LastError)
	}
	want := []string{"421 4.3.2 service not available (1)", "421 4.3.2 service not available (2)"}
	if diff := cmp.Diff(want, lastError); diff != "" {
		t.Errorf("last_error seen by the retries (-want +got):\n%s", diff)
	}
	first, second := calls[1].Sub(calls[0]), calls[2].Sub(calls[1])
	// Lower bounds only: a loaded machine stretches any wait, so comparing
	// the two measured waits with each other fails by chance. The second
	// bound being twice the first is what shows the backoff grows.
	if first < cfg.BackoffBase || second < 2*cfg.BackoffBase {
		t.Errorf("waits between attempts %v then %v; want at least %v then %v", first, second, cfg.BackoffBase, 2*cfg.BackoffBase)
	}
}

// mustID takes the outbox id out of a message key ("id.created").
func mustID(key string) int64 {
	var id int64
	fmt.Sscanf(key, "%d.", &id)
	return id
}

func TestSenderGivesUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		err       error
		wantCalls int
	}{
		{name: "permanent error: at once", err: Permanent(errors.New("550 5.1.1 no such user")), wantCalls: 1},
		{name: "temporary errors: after MaxAttempts", err: errors.New("connection reset"), wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := pgtest.Store(t)
			var mu sync.Mutex
			calls := 0
			tr := transportFunc(func(context.Context, Message) error {
				mu.Lock()
				defer mu.Unlock()
				calls++
				return tt.err
			})
			cfg := fastConfig()
			cfg.MaxAttempts = 3
			cfg.BackoffBase = 5 * time.Millisecond
			id := enqueue(t, st, testMessage(1))
			startSender(t, NewSender(st, tr, quiet, cfg))
			row := waitStatus(t, st, id, store.MailFailed)
			time.Sleep(50 * time.Millisecond) // several polls: the mail stays given up
			mu.Lock()
			defer mu.Unlock()
			if calls != tt.wantCalls || row.Attempts != tt.wantCalls {
				t.Errorf("calls %d, attempts %d; want %d", calls, row.Attempts, tt.wantCalls)
			}
			if row.LastError == nil || *row.LastError != tt.err.Error() {
				t.Errorf("last_error %v, want %q", row.LastError, tt.err)
			}
		})
	}
}

func TestConcurrentSendersDeliverEachMailOnce(t *testing.T) {
	t.Parallel()
	st := pgtest.Store(t)
	const n = 40
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = enqueue(t, st, testMessage(i))
	}
	var mu sync.Mutex
	delivered := map[string]int{}
	tr := transportFunc(func(context.Context, Message) error { return nil })
	counting := transportFunc(func(ctx context.Context, m Message) error {
		time.Sleep(time.Millisecond)
		mu.Lock()
		delivered[m.Key]++
		mu.Unlock()
		return tr(ctx, m)
	})
	var stops []func()
	for range 3 {
		stops = append(stops, startSender(t, NewSender(st, counting, quiet, fastConfig())))
	}
	for _, id := range ids {
		waitStatus(t, st, id, store.MailSent)
	}
	for _, stop := range stops {
		stop()
	}
	mu.Lock()
	defer mu.Unlock()
	if len(delivered) != n {
		t.Errorf("%d distinct mails delivered, want %d", len(delivered), n)
	}
	for key, c := range delivered {
		if c != 1 {
			t.Errorf("mail %s delivered %d times, want once", key, c)
		}
	}
}

func TestExpiredLeaseIsRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := pgtest.Store(t)
	id := enqueue(t, st, testMessage(1))

	// A sender claims the mail and dies before recording anything.
	const lease = 500 * time.Millisecond
	claimedAt := time.Now()
	claimed, err := st.ClaimMails(ctx, 10, lease)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("ClaimMails = %d mails, %v; want 1", len(claimed), err)
	}

	var mu sync.Mutex
	calls := 0
	tr := transportFunc(func(context.Context, Message) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		return nil
	})
	startSender(t, NewSender(st, tr, quiet, fastConfig()))
	time.Sleep(lease / 2)
	mu.Lock()
	early := calls
	mu.Unlock()
	if time.Since(claimedAt) < lease && early != 0 {
		t.Errorf("the mail was sent %d times while its lease still held", early)
	}
	row := waitStatus(t, st, id, store.MailSent)
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 || row.Attempts != 2 {
		t.Errorf("calls %d, attempts %d; want 1 call, attempts 2 (the crashed one counts)", calls, row.Attempts)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	t.Parallel()

	t.Run("idle", func(t *testing.T) {
		t.Parallel()
		st := pgtest.Store(t)
		cfg := fastConfig()
		cfg.PollInterval = time.Hour
		s := NewSender(st, transportFunc(func(context.Context, Message) error { return nil }), quiet, cfg)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		time.Sleep(20 * time.Millisecond)
		cancel()
		select {
		case <-done:
		case <-time.After(time.Second):
			t.Fatal("Run did not return within 1s of cancellation")
		}
	})

	t.Run("finishes the send in flight and gives back the rest", func(t *testing.T) {
		t.Parallel()
		st := pgtest.Store(t)
		var ids []int64
		for i := range 3 {
			ids = append(ids, enqueue(t, st, testMessage(i)))
		}
		started, release := make(chan struct{}), make(chan struct{})
		var once sync.Once
		var mu sync.Mutex
		calls := 0
		tr := transportFunc(func(ctx context.Context, m Message) error {
			mu.Lock()
			calls++
			mu.Unlock()
			once.Do(func() { close(started) })
			<-release
			return ctx.Err() // the send must not be cancelled with Run's ctx
		})
		s := NewSender(st, tr, quiet, fastConfig())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { s.Run(ctx); close(done) }()
		<-started
		cancel()
		select {
		case <-done:
			t.Fatal("Run returned before the send in flight finished")
		case <-time.After(50 * time.Millisecond):
		}
		close(release)
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatal("Run did not return within 2s of the send finishing")
		}
		mu.Lock()
		defer mu.Unlock()
		if calls != 1 {
			t.Errorf("%d sends, want only the one in flight", calls)
		}
		if row := mailRow(t, st, ids[0]); row.Status != store.MailSent {
			t.Errorf("mail in flight: status %s, want sent", row.Status)
		}
		for _, id := range ids[1:] {
			if row := mailRow(t, st, id); row.Status != store.MailPending || row.Attempts != 0 || row.ClaimedUntil != nil {
				t.Errorf("unsent mail %d: status %s attempts %d claimed_until %v; want pending, 0, none", id, row.Status, row.Attempts, row.ClaimedUntil)
			}
		}
	})
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		if got := backoff(i+1, 30*time.Second, time.Hour); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := backoff(1000, 30*time.Second, time.Hour); got != time.Hour {
		t.Errorf("backoff(1000) = %v, want the cap", got)
	}
	for range 100 {
		if j := jitter(time.Minute); j < time.Minute || j >= time.Minute+6*time.Second {
			t.Fatalf("jitter(1m) = %v, want within [1m, 1m6s)", j)
		}
	}
}

func TestMessageValidate(t *testing.T) {
	t.Parallel()
	ok := Message{ToEmail: "a@b.test", Subject: "s", Text: "t"}
	tests := []struct {
		name    string
		edit    func(*Message)
		wantErr bool
	}{
		{"valid", func(*Message) {}, false},
		{"valid with name and html", func(m *Message) { m.ToName, m.HTML = "Ann O'Neil", "<p>x</p>" }, false},
		{"no recipient", func(m *Message) { m.ToEmail = "" }, true},
		{"recipient with display name", func(m *Message) { m.ToEmail = "Ann <a@b.test>" }, true},
		{"two recipients", func(m *Message) { m.ToEmail = "a@b.test, c@d.test" }, true},
		{"empty subject", func(m *Message) { m.Subject = " " }, true},
		{"empty text", func(m *Message) { m.Text = "" }, true},
		{"header injection in subject", func(m *Message) { m.Subject = "hi\r\nBcc: x@evil.test" }, true},
		{"header injection in name", func(m *Message) { m.ToName = "Ann\nBcc: x@evil.test" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := ok
			tt.edit(&m)
			if err := m.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}

func TestLogTransportLogsNoBody(t *testing.T) {
	t.Parallel()
	log, logs := testLogger(t)
	tr, err := NewTransport("", "", log)
	if err != nil {
		t.Fatal(err)
	}
	m := Message{ToEmail: "a@b.test", Subject: "Invitation", Text: "secret-text-link", HTML: "secret-html-link"}
	if err := tr.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out := logs.String()
	if !strings.Contains(out, "Outbox page") || !strings.Contains(out, "a@b.test") || !strings.Contains(out, "Invitation") {
		t.Errorf("log %q: want the Outbox page, recipient and subject", out)
	}
	if strings.Contains(out, "secret") {
		t.Errorf("log %q contains the body", out)
	}
}
