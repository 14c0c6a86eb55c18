// Package alerts raises alerts on risky credential use from the usage
// rollups: a partner's quota at 80 % and 100 %, a partner refused by its
// rate limit again and again, a credential's calls, 4xx or 5xx far over
// its own baseline, and a credential used every day that is about to
// expire. A scheduled job evaluates the rules on one node at a time (an
// advisory lock); each alert is raised once per cause (its window or
// level), so a rule that keeps holding never sends a storm of mails, and a
// rule muted for a credential is not raised for it again. A new alert is
// mailed through the outbox to the partner's admins and the credential's
// owner.
package alerts

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/internal/webhook"
)

// Rules, as stored in alerts.rule.
const (
	RuleQuota          = "quota"
	RuleRateLimited    = "rate_limited"
	RuleSpikeCalls     = "spike_calls"
	RuleSpike4xx       = "spike_4xx"
	RuleSpike5xx       = "spike_5xx"
	RuleExpiringInUse  = "expiring_in_use"
	RuleLeaked         = "leaked"
	RuleNewNetwork     = "new_network"
	RuleRevokedInUse   = "revoked_in_use"
	RuleExpiredInUse   = "expired_in_use"
	RuleWrongEnv       = "wrong_environment"
	lockKey            = "portico.alerts"
	defaultEvery       = 5 * time.Minute
	quotaAlertsPerRun  = 1000
	spikeBaselineDays  = 7
	expiringInUseDays  = 3
	expiringInUseAhead = 7 * 24 * time.Hour
)

// Thresholds are the rules' defaults.
type Thresholds struct {
	// RateLimitedPerHour: a partner refused with 429 this many times in
	// an hour.
	RateLimitedPerHour int64
	// SpikeFactor and SpikeMin: an hour with SpikeFactor times the
	// credential's hourly average of the week before, and at least
	// SpikeMin of them (calls, 4xx or 5xx).
	SpikeFactor float64
	SpikeMin    int64
}

// DefaultThresholds are the thresholds the settings start with
// (migration 00031), used when they cannot be read.
func DefaultThresholds() Thresholds {
	return Thresholds{RateLimitedPerHour: 100, SpikeFactor: 10, SpikeMin: 100}
}

// Job evaluates the rules.
type Job struct {
	store      *store.Store
	db         *sql.DB
	outbox     *pmail.Outbox
	baseURL    string
	log        *slog.Logger
	Thresholds Thresholds
	// Every is the time between runs (5 minutes when zero).
	Every time.Duration
	now   func() time.Time
}

// New returns the job; db is the pool its advisory lock is taken on.
func New(st *store.Store, db *sql.DB, outbox *pmail.Outbox, baseURL string, log *slog.Logger) *Job {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Job{store: st, db: db, outbox: outbox, baseURL: strings.TrimSuffix(baseURL, "/"), log: log,
		Thresholds: DefaultThresholds(), now: time.Now}
}

// Run evaluates the rules every Every until ctx ends. A run another node
// holds the lock for is skipped.
func (j *Job) Run(ctx context.Context) {
	every := j.Every
	if every <= 0 {
		every = defaultEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := j.Once(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("alerts run failed", "err", err)
		} else if n > 0 {
			j.log.Info("alerts raised", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once evaluates every rule now, if no other node is, and returns how many
// alerts it raised.
func (j *Job) Once(ctx context.Context) (int, error) {
	conn, err := j.db.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("alerts: %w", err)
	}
	defer conn.Close()
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtext($1))`, lockKey).Scan(&got); err != nil {
		return 0, fmt.Errorf("alerts lock: %w", err)
	}
	if !got {
		return 0, nil
	}
	defer func() {
		unlock, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(unlock, `SELECT pg_advisory_unlock(hashtext($1))`, lockKey)
	}()
	// The platform admin's thresholds, read at each run; the defaults
	// when they cannot be read.
	if set, err := j.store.Settings(ctx); err == nil {
		j.Thresholds = Thresholds{RateLimitedPerHour: int64(set.RateLimitedPerHour), SpikeFactor: float64(set.SpikeFactor),
			SpikeMin: int64(set.SpikeMin)}
	}
	now := j.now()
	raised := 0
	for _, rule := range []func(context.Context, time.Time) (int, error){j.quota, j.rateLimited, j.spikes, j.expiringInUse, j.newNetworks, j.refused} {
		n, err := rule(ctx, now)
		raised += n
		if err != nil {
			return raised, err
		}
	}
	return raised, nil
}

// raise stores a and, when it is new, mails the partner's admins and the
// credential's owner (ownerID 0: none), in one transaction.
func (j *Job) raise(ctx context.Context, a store.NewAlert, ownerID int64, subject string) (bool, error) {
	var raised bool
	err := j.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		var id int64
		if id, raised, err = tx.RaiseAlert(ctx, a); err != nil || !raised {
			return err
		}
		if err := webhook.QueueAlertRaised(ctx, tx, id, a.PartnerID); err != nil {
			return err
		}
		return Notify(ctx, tx, j.outbox, j.baseURL, a.PartnerID, ownerID, subject, a.Message)
	})
	return raised, err
}

// Notify mails an alert to the partner's admins and the credential's owner
// (ownerID 0: none), each once.
func Notify(ctx context.Context, tx *store.Store, outbox *pmail.Outbox, baseURL string, partnerID, ownerID int64, subject, message string) error {
	admins, err := tx.PartnerAdmins(ctx, partnerID)
	if err != nil {
		return err
	}
	to := admins
	if ownerID != 0 {
		mailed := false
		for _, u := range admins {
			mailed = mailed || u.ID == ownerID
		}
		if !mailed {
			owner, err := tx.UserByID(ctx, ownerID)
			if err != nil {
				return err
			}
			if owner.Status == "active" {
				to = append(to, *owner)
			}
		}
	}
	for _, u := range to {
		link, label := baseURL+"/alerts", "Open the alerts"
		if u.Role != "partner_admin" {
			link, label = baseURL+"/tokens", "Your tokens"
		}
		if err := outbox.Enqueue(ctx, tx, pmail.Notice{
			ToEmail: u.Email, ToName: u.Name, Subject: subject, Greeting: "Hello " + u.Name + ",",
			Lines: []string{message}, Link: link, LinkLabel: label, Closing: "— Portico",
		}.Message()); err != nil {
			return err
		}
	}
	return nil
}

// quota raises a partner's access-group quota at 80 % and at 100 %, once
// a month each.
func (j *Job) quota(ctx context.Context, now time.Time) (int, error) {
	month := usage.MonthStart(now)
	qs, err := j.store.QuotaAlerts(ctx, month, 80, 0, quotaAlertsPerRun)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, q := range qs {
		level := 80
		if q.Used >= q.Quota {
			level = 100
		}
		msg := fmt.Sprintf("%s has used %d %% of the monthly quota of %s: %d of %d calls this month.",
			q.PartnerName, q.Used*100/q.Quota, q.GroupName, q.Used, q.Quota)
		if level == 100 {
			msg += " Calls beyond it are refused with quota_exceeded until the month ends; an account manager can raise the quota."
		}
		ok, err := j.raise(ctx, store.NewAlert{PartnerID: q.PartnerID, Rule: RuleQuota,
			Cause: fmt.Sprintf("%s/%d/group %d", month.Format("2006-01"), level, q.GroupID), Message: msg},
			0, fmt.Sprintf("%s reached %d %% of its monthly quota", q.GroupName, level))
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// rateLimited raises a partner refused by its rate limits at least
// RateLimitedPerHour times in the last full hour, once per hour.
func (j *Job) rateLimited(ctx context.Context, now time.Time) (int, error) {
	hour := now.UTC().Truncate(time.Hour).Add(-time.Hour)
	rs, err := j.store.RateLimitedPartners(ctx, hour, hour.Add(time.Hour), j.Thresholds.RateLimitedPerHour)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		ok, err := j.raise(ctx, store.NewAlert{PartnerID: r.PartnerID, Rule: RuleRateLimited, Cause: hour.Format("2006-01-02T15Z"),
			Message: fmt.Sprintf("%d calls were refused by the rate limit between %s and %s UTC: a job may be calling in a loop, or the limit may be too low for the traffic.",
				r.Refused, hour.Format("2 January 15:04"), hour.Add(time.Hour).Format("15:04"))},
			0, "Calls refused by the rate limit")
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// spikes raises a credential whose calls, 4xx or 5xx in the last full
// hour are SpikeFactor times its hourly average of the week before (and at
// least SpikeMin), once per hour and kind.
func (j *Job) spikes(ctx context.Context, now time.Time) (int, error) {
	hour := now.UTC().Truncate(time.Hour).Add(-time.Hour)
	rs, err := j.store.TokenHourVersusBaseline(ctx, hour, spikeBaselineDays, j.Thresholds.SpikeMin)
	if err != nil {
		return 0, err
	}
	th := j.Thresholds
	n := 0
	for _, r := range rs {
		if r.BaseCalls == 0 {
			continue // a new integration's first busy hour is no spike
		}
		for _, k := range []struct {
			rule, what string
			got        int64
			base       float64
		}{
			{RuleSpikeCalls, "calls", r.Calls, r.BaseCalls},
			{RuleSpike4xx, "refused calls (4xx)", r.C4xx, r.Base4xx},
			{RuleSpike5xx, "failed calls (5xx)", r.C5xx, r.Base5xx},
		} {
			if k.got < th.SpikeMin || float64(k.got) < th.SpikeFactor*k.base {
				continue
			}
			id := r.TokenID
			msg := fmt.Sprintf("The credential “%s” (%s) made %d %s between %s and %s UTC, against %.1f an hour on average over the week before.",
				r.Name, r.Hint, k.got, k.what, hour.Format("2 January 15:04"), hour.Add(time.Hour).Format("15:04"), k.base)
			ok, err := j.raise(ctx, store.NewAlert{PartnerID: r.PartnerID, TokenID: &id, Rule: k.rule, Cause: hour.Format("2006-01-02T15Z"), Message: msg},
				r.UserID, "Unusual use of “"+r.Name+"”")
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
	}
	return n, nil
}

// expiringInUse raises a credential called on each of the last
// expiringInUseDays days that expires within expiringInUseAhead, once per
// expiry.
func (j *Job) expiringInUse(ctx context.Context, now time.Time) (int, error) {
	ts, err := j.store.BusyExpiringTokens(ctx, now, now.Add(expiringInUseAhead), expiringInUseDays)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range ts {
		id := t.ID
		msg := fmt.Sprintf("The credential “%s” (%s) is used every day and expires on %s: the jobs using it will stop then unless it is regenerated or replaced.",
			t.Name, t.Hint, t.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC"))
		ok, err := j.raise(ctx, store.NewAlert{PartnerID: t.PartnerID, TokenID: &id, Rule: RuleExpiringInUse,
			Cause: t.ExpiresAt.UTC().Format(time.RFC3339), Message: msg}, t.UserID, "“"+t.Name+"” expires soon and is in use")
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// signalWindow is how far back each run looks for the verifier's notes: a
// run every 5 minutes sees each note several times, and the cause makes
// only the first raise count.
const signalWindow = time.Hour

// newNetworks raises a credential used from a network (an IPv4 /24, an
// IPv6 /48) it was never used from before, once per network.
func (j *Job) newNetworks(ctx context.Context, now time.Time) (int, error) {
	ns, err := j.store.NewTokenNetworks(ctx, now.Add(-signalWindow))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, nw := range ns {
		id := nw.TokenID
		msg := fmt.Sprintf("The credential “%s” (%s) was used from %s on %s, a network it was never used from before. If nobody at your organisation moved a job there, revoke it.",
			nw.Name, nw.Hint, nw.Network, nw.FirstSeen.UTC().Format("2 January 2006, 15:04 UTC"))
		ok, err := j.raise(ctx, store.NewAlert{PartnerID: nw.PartnerID, TokenID: &id, Rule: RuleNewNetwork, Cause: nw.Network, Message: msg},
			nw.UserID, "“"+nw.Name+"” used from a new network")
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// refused raises a revoked or expired credential still presented (once
// per credential) and one sent to the other environment (once a day).
func (j *Job) refused(ctx context.Context, now time.Time) (int, error) {
	since := now.UTC().Add(-signalWindow).Truncate(time.Hour)
	rs, err := j.store.RefusedCredentials(ctx, since, now)
	if err != nil {
		return 0, err
	}
	from := since.Format("15:04")
	n := 0
	for _, r := range rs {
		id := r.TokenID
		a := store.NewAlert{PartnerID: r.PartnerID, TokenID: &id, Rule: r.Rule, Cause: r.Cause}
		var subject string
		switch r.Reason {
		case store.RefusedRevoked:
			subject = "A revoked credential is still in use"
			a.Message = fmt.Sprintf("The revoked credential “%s” (%s) was presented %d times since %s UTC: an integration still uses it and gets 401 invalid_token. Give it a working credential, or switch it off.",
				r.Name, r.Hint, r.Count, from)
		case store.RefusedExpired:
			subject = "An expired credential is still in use"
			a.Message = fmt.Sprintf("The credential “%s” (%s) expired on %s and was presented %d times since %s UTC: the job using it gets 401 token_expired. Regenerate it or create a new one.",
				r.Name, r.Hint, r.ExpiresAt.UTC().Format("2 January 2006"), r.Count, from)
		case store.RefusedWrongEnv:
			other := "/live"
			if r.Env == "live" {
				other = "/sandbox"
			}
			subject = "A credential was sent to the wrong environment"
			a.Message = fmt.Sprintf("The %s credential “%s” (%s) was sent to %s %d times since %s UTC and refused with wrong_environment: a configuration mixes the environments.",
				r.Env, r.Name, r.Hint, other, r.Count, from)
		default:
			continue
		}
		ok, err := j.raise(ctx, a, r.UserID, subject)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}
