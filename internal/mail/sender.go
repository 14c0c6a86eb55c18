package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
)

// SenderConfig tunes a Sender; zero fields take the defaults.
type SenderConfig struct {
	// PollInterval is how often the outbox is checked when nobody kicks
	// (default 10s).
	PollInterval time.Duration
	// BatchSize is how many mails one claim takes (default 20).
	BatchSize int
	// SendTimeout bounds one delivery (default 1m).
	SendTimeout time.Duration
	// Lease is how long a claimed mail belongs to this sender before another
	// one may take it over (default 5m; at least twice SendTimeout, as the
	// lease is renewed just before each send and must outlast it).
	Lease time.Duration
	// BackoffBase is the wait after the first failed attempt, doubled after
	// each further one (default 30s), up to BackoffMax (default 1h).
	BackoffBase time.Duration
	BackoffMax  time.Duration
	// MaxAttempts is how many attempts a mail gets before it is marked
	// 'failed' (default 20: about 14 hours with the default back-off).
	MaxAttempts int
}

func (c SenderConfig) withDefaults() SenderConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.PollInterval, 10*time.Second)
	def(&c.SendTimeout, time.Minute)
	def(&c.Lease, 5*time.Minute)
	def(&c.BackoffBase, 30*time.Second)
	def(&c.BackoffMax, time.Hour)
	c.Lease = max(c.Lease, 2*c.SendTimeout)
	if c.BatchSize <= 0 {
		c.BatchSize = 20
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	return c
}

// dbTimeout bounds the sender's own queries, which run on after shutdown
// began so that a claimed or sent mail is always recorded.
const dbTimeout = 15 * time.Second

// Sender delivers the outbox's mails in the background. Several senders, in
// one process or on several nodes, may run on the same outbox: each mail is
// claimed by one of them at a time.
type Sender struct {
	store     *store.Store
	transport Transport
	log       *slog.Logger
	cfg       SenderConfig
	kick      chan struct{}
	// redact removes the secrets of links from a mail once it is out of
	// the portal's hands (sent or given up), so staff reading the outbox
	// cannot use an invitation or reset link meant for someone else.
	// Off when the outbox is itself the delivery channel (OutboxOnly).
	redact bool
}

// NewSender returns a sender delivering st's outbox through t.
func NewSender(st *store.Store, t Transport, log *slog.Logger, cfg SenderConfig) *Sender {
	if log == nil {
		log = slog.Default()
	}
	return &Sender{store: st, transport: t, log: log, cfg: cfg.withDefaults(), kick: make(chan struct{}, 1), redact: !OutboxOnly(t)}
}

// Kick wakes the sender to look at the outbox now rather than at the next
// poll; call it after committing a transaction that queued mail. It never
// blocks.
func (s *Sender) Kick() {
	if s == nil {
		return
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run delivers due mails until ctx is cancelled. On cancellation it
// finishes the delivery in flight, records its outcome, gives the rest of
// its batch back to the outbox and returns.
func (s *Sender) Run(ctx context.Context) {
	s.log.Info("mail sender started", "transport", describe(s.transport), "poll", s.cfg.PollInterval)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.log.Info("mail sender stopped")
			return
		case <-s.kick:
		case <-t.C:
		}
		s.drain(ctx)
		t.Reset(s.cfg.PollInterval)
	}
}

// drain claims and delivers batches until the outbox has nothing due.
func (s *Sender) drain(ctx context.Context) {
	for ctx.Err() == nil {
		// Not cancelled with ctx: a claim that committed must be seen.
		dbCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
		ms, err := s.store.ClaimMails(dbCtx, s.cfg.BatchSize, s.cfg.Lease)
		cancel()
		if err != nil {
			s.log.Error("mail sender: claiming mails failed", "error", err)
			return
		}
		for i, m := range ms {
			if ctx.Err() != nil {
				s.release(ctx, ms[i:])
				return
			}
			s.deliver(ctx, m)
		}
		if len(ms) < s.cfg.BatchSize {
			return
		}
	}
}

// deliver makes one attempt at a claimed mail and records its outcome.
func (s *Sender) deliver(ctx context.Context, m store.OutboxMail) {
	log := s.log.With("mail_id", m.ID, "to", m.ToEmail, "subject", m.Subject, "attempt", m.Attempts)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout+2*dbTimeout)
	defer cancel()
	if m.Attempts > s.cfg.MaxAttempts {
		// Claimed more often than attempts allow: earlier attempts died with
		// their sender. Stop rather than crash forever.
		s.fail(ctx, log, m, errors.New("gave up: delivery attempts kept being interrupted"), true)
		return
	}
	// Renewing the lease here, not only at claim time, keeps a slow batch
	// from sending a mail whose lease ran out and another sender took.
	ok, err := s.store.RenewMailClaim(ctx, m.ID, m.Attempts, s.cfg.Lease)
	if err != nil {
		log.Error("mail sender: renewing the claim failed; the mail is retried when its lease ends", "error", err)
		return
	}
	if !ok {
		log.Warn("mail sender: claim lost to another sender; not sending")
		return
	}
	sendCtx, cancelSend := context.WithTimeout(ctx, s.cfg.SendTimeout)
	err = s.transport.Send(sendCtx, messageOf(m))
	cancelSend()
	if err != nil {
		s.fail(ctx, log, m, err, IsPermanent(err) || m.Attempts >= s.cfg.MaxAttempts)
		return
	}
	// The mail is out: recording it is what prevents a resend, so insist.
	for try := 0; ; try++ {
		if err = s.store.MarkMailSent(ctx, m.ID, s.redacted(m)); err == nil || try == 4 || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(100<<try) * time.Millisecond)
	}
	if err != nil {
		log.Error("mail sent but not recorded; it will be sent again when its lease ends", "error", err)
		return
	}
	log.Info("mail sent")
}

// fail records a failed attempt: a retry after the back-off, or the end.
func (s *Sender) fail(ctx context.Context, log *slog.Logger, m store.OutboxMail, sendErr error, permanent bool) {
	msg := sendErr.Error()
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	retryAt := time.Now().Add(jitter(backoff(m.Attempts, s.cfg.BackoffBase, s.cfg.BackoffMax)))
	var redacted *store.MailBodies
	if permanent {
		redacted = s.redacted(m)
	}
	if err := s.store.MarkMailFailed(ctx, m.ID, msg, retryAt, permanent, redacted); err != nil {
		log.Error("mail sender: recording a failed attempt failed", "send_error", sendErr, "error", err)
		return
	}
	if permanent {
		log.Error("mail failed; giving up", "error", sendErr)
		return
	}
	log.Warn("mail delivery failed; will retry", "error", sendErr, "retry_at", retryAt)
}

// redacted returns m's bodies with every credential cut to its kind
// ("ptc_inv_[redacted]"), or nil when there is nothing to change.
func (s *Sender) redacted(m store.OutboxMail) *store.MailBodies {
	if !s.redact {
		return nil
	}
	b := store.MailBodies{Text: token.RedactPath(m.TextBody), HTML: token.RedactPath(m.HTMLBody)}
	if b.Text == m.TextBody && b.HTML == m.HTMLBody {
		return nil
	}
	return &b
}

// release gives claimed, unattempted mails back when shutting down.
func (s *Sender) release(ctx context.Context, ms []store.OutboxMail) {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
	defer cancel()
	if err := s.store.ReleaseMails(ctx, ids); err != nil {
		s.log.Warn("mail sender: releasing claimed mails failed; they are retried when their lease ends", "error", err)
	}
}

// describe names a transport for the log (an SMTPTransport without its
// password).
func describe(t Transport) string {
	if s, ok := t.(fmt.Stringer); ok {
		return s.String()
	}
	return fmt.Sprintf("%T", t)
}

// backoff is the wait after the given failed attempt (1-based): base,
// 2·base, 4·base … capped at limit.
func backoff(attempt int, base, limit time.Duration) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// jitter adds up to 10% to d, so senders retrying together spread out.
func jitter(d time.Duration) time.Duration {
	if d < 10 {
		return d
	}
	return d + rand.N(d/10) // #nosec G404 -- spreads retries out; nothing secret or guessable is at stake
}
