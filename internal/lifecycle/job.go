package lifecycle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
)

// ReminderDays are the reminders of a scheduled end, in days before it.
var ReminderDays = []int{30, 7}

const (
	lockKey      = "portico.partner_lifecycle"
	defaultEvery = 15 * time.Minute
	// batch bounds the partners one run ends or reminds; the next run
	// takes the rest.
	batch = 200
)

// Job ends the partnerships whose day has come and sends the reminders of
// the scheduled ones, on one node at a time (an advisory lock).
type Job struct {
	svc *Service
	db  *sql.DB
	log *slog.Logger
	// Every is the time between runs (15 minutes when zero).
	Every time.Duration
	now   func() time.Time
}

// NewJob returns the job; db is the pool its advisory lock is taken on.
func NewJob(svc *Service, db *sql.DB, log *slog.Logger) *Job {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Job{svc: svc, db: db, log: log, now: time.Now}
}

// Run runs the job every Every until ctx ends.
func (j *Job) Run(ctx context.Context) {
	every := j.Every
	if every <= 0 {
		every = defaultEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if r, err := j.Once(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("partner lifecycle run failed", "err", err)
		} else if r.Ended+r.Reminders > 0 {
			j.log.Info("partner lifecycle", "ended", r.Ended, "reminders", r.Reminders)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunResult is what one run did: partnerships ended and reminders sent (one per
// partner and day before, whoever it was mailed to).
type RunResult struct {
	Ended, Reminders int
}

// Once ends the partnerships due today (UTC) or earlier and sends the
// reminders due, if no other node is running the job.
func (j *Job) Once(ctx context.Context) (RunResult, error) {
	var r RunResult
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return r, fmt.Errorf("partner lifecycle: %w", err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, lockKey).Scan(&got); err != nil {
		return r, fmt.Errorf("partner lifecycle lock: %w", err)
	}
	if !got {
		return r, nil
	}
	defer func() {
		unlock, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(unlock, `SELECT pg_advisory_unlock(hashtext($1))`, lockKey)
	}()
	today := Today(j.now())
	due, err := j.svc.store.PartnersEndingBy(ctx, today, batch)
	if err != nil {
		return r, err
	}
	// One partner's failure is logged and the others go on: a partner
	// whose end keeps failing must not hold up every other end and
	// reminder behind it.
	var errs []error
	for _, p := range due {
		_, err := j.svc.End(ctx, p.ID)
		if errors.Is(err, ErrEnded) {
			continue // ended by hand meanwhile
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("end partner %d: %w", p.ID, err))
			continue
		}
		r.Ended++
	}
	soon, err := j.svc.store.PartnersToRemind(ctx, today, ReminderDays, batch)
	if err != nil {
		return r, errors.Join(append(errs, err)...)
	}
	for _, p := range soon {
		sent, err := j.svc.remind(ctx, p, today)
		if err != nil {
			errs = append(errs, fmt.Errorf("remind partner %d: %w", p.ID, err))
			continue
		}
		if sent {
			r.Reminders++
		}
	}
	return r, errors.Join(errs...)
}

// remind sends the reminder of p's scheduled end due today, if it was not
// sent: the nearest of ReminderDays the end is within (an end set 10 days
// ahead gets the 30-day reminder at once, saying 10 days, then the 7-day
// one). The reminder's row and its mails are written in one transaction.
func (s *Service) remind(ctx context.Context, p store.ScheduledEnd, today time.Time) (bool, error) {
	left := int(p.EndOn.Sub(today).Hours() / 24)
	if left <= 0 {
		return false, nil
	}
	days := 0
	for _, d := range ReminderDays {
		if left <= d && (days == 0 || d < days) {
			days = d
		}
	}
	if days == 0 {
		return false, nil
	}
	var sent bool
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		// The day may have moved or been cancelled since it was listed.
		l, err := tx.PartnerLifecycleOf(ctx, p.ID)
		if err != nil || l.Status == store.PartnerEnded || l.EndOn == nil || !l.EndOn.Equal(p.EndOn) {
			return err
		}
		if sent, err = tx.RecordEndReminder(ctx, p.ID, p.EndOn, days); err != nil || !sent {
			return err
		}
		managers, err := tx.PartnerManagers(ctx, p.ID)
		if err != nil {
			return err
		}
		admins, err := tx.PartnerAdmins(ctx, p.ID)
		if err != nil {
			return err
		}
		on := p.EndOn.Format("Monday 2 January 2006")
		for _, m := range managers {
			if err := s.outbox.Enqueue(ctx, tx, managerReminder(m.Email, m.Name, p.Name, on, left, s.baseURL+"/partners/"+strconv.FormatInt(p.ID, 10))); err != nil {
				return err
			}
		}
		for _, a := range admins {
			if err := s.outbox.Enqueue(ctx, tx, adminReminder(a.Email, a.Name, p.Name, on, left)); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, err
}

func inDays(n int) string {
	if n == 1 {
		return "tomorrow"
	}
	return "in " + strconv.Itoa(n) + " days"
}

// managerReminder reminds an account manager of a partnership ending.
func managerReminder(email, name, partner, on string, left int, link string) pmail.Message {
	return pmail.Notice{
		ToEmail: email, ToName: name,
		Subject:  "The partnership of " + partner + " ends " + inDays(left) + ", on " + on,
		Greeting: "Hello " + name + ",",
		Lines: []string{
			"The partnership of " + partner + " is scheduled to end on " + on + " (UTC). On that day every credential of " + partner +
				" is revoked, its people are signed out and can no longer sign in, its invitations are cancelled and its grants end.",
			"To keep the partnership, cancel the scheduled end on the partner's page; to end it on another day, set the new day there.",
		},
		Link: link, LinkLabel: partner + " on the portal", Closing: "— Portico",
	}.Message()
}

// adminReminder reminds a partner admin that their organisation's
// partnership is ending.
func adminReminder(email, name, partner, on string, left int) pmail.Message {
	return pmail.Notice{
		ToEmail: email, ToName: name,
		Subject:  "Your organisation's partnership ends " + inDays(left) + ", on " + on,
		Greeting: "Hello " + name + ",",
		Lines: []string{
			"The API provider's partnership with " + partner + " is scheduled to end on " + on + " (UTC). On that day every token and OAuth client of " +
				partner + " stops working and nobody of " + partner + " can sign in to the portal any more.",
			"Move your integrations off these credentials before then. If you did not expect this, contact your account manager.",
		},
		Closing: "— Portico",
	}.Message()
}
