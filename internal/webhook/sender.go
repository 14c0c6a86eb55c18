package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/netguard"
	"github.com/portico/portico/internal/seal"
	"github.com/portico/portico/internal/store"
)

// Window is how long a delivery is retried, and how long an endpoint may
// fail before it is disabled.
const Window = 24 * time.Hour

// Back-off between attempts: doubling from firstRetry up to maxRetry,
// each delay drawn between its half and its whole (jitter), so receivers
// coming back from an outage are not hit by every sender at once.
const (
	firstRetry = 5 * time.Second
	maxRetry   = time.Hour
)

// PurposeSecret binds a sealed signing secret to its use.
const (
	PurposeSecret = "webhook_endpoints.secret"
)

// Sender delivers queued events; any number of them run side by side, on
// any number of nodes.
type Sender struct {
	store   *store.Store
	box     *seal.Box
	client  *http.Client
	outbox  *pmail.Outbox
	baseURL string
	log     *slog.Logger
	now     func() time.Time
}

// NewSender returns a Sender posting through client (NewClient's).
func NewSender(st *store.Store, box *seal.Box, client *http.Client, outbox *pmail.Outbox, baseURL string, log *slog.Logger) *Sender {
	return &Sender{store: st, box: box, client: client, outbox: outbox, baseURL: baseURL, log: log, now: time.Now}
}

// SetClock replaces the sender's clock (tests: a retry window passes in
// no time).
func (s *Sender) SetClock(now func() time.Time) { s.now = now }

// Backoff is the delay before attempt n+1 after n failed attempts.
func Backoff(n int) time.Duration {
	d := maxRetry
	if n < 20 {
		d = min(firstRetry<<(max(n, 1)-1), maxRetry)
	}
	return d/2 + rand.N(d/2+1) // #nosec G404 -- jitter, not a secret
}

// DeliverNext sends the next delivery due, if any; sent says whether one
// was. The delivery stays locked while it is sent, and its outcome is
// stored in the same transaction: a sender that dies mid-send leaves it
// as it was, to be sent again (the receiver de-duplicates by webhook-id).
func (s *Sender) DeliverNext(ctx context.Context) (sent bool, err error) {
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		d, err := tx.ClaimWebhookDelivery(ctx, s.now())
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		sent = true
		_, err = s.attempt(ctx, tx, d)
		return err
	})
	return sent, err
}

// SendNow sends a pending delivery at once ("send a test event", "send
// again") and returns the attempt's outcome; ErrNotFound when it is not
// pending any more (a worker took it first).
func (s *Sender) SendNow(ctx context.Context, deliveryID int64) (*store.WebhookOutcome, error) {
	var out *store.WebhookOutcome
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		d, err := tx.ClaimWebhookDeliveryByID(ctx, deliveryID)
		if err != nil {
			return err
		}
		out, err = s.attempt(ctx, tx, d)
		return err
	})
	return out, err
}

// attempt signs and posts d, and stores what came of it.
func (s *Sender) attempt(ctx context.Context, tx *store.Store, d *store.WebhookDue) (*store.WebhookOutcome, error) {
	now := s.now()
	o := store.WebhookOutcome{At: now}
	secrets, err := s.secrets(d, now)
	if err == nil {
		started := time.Now()
		o.Status, o.Response, err = s.post(ctx, d, now, secrets)
		o.Duration = time.Since(started)
	}
	if err != nil {
		o.Error = describe(err)
	}
	ok := o.Status != nil && *o.Status >= 200 && *o.Status < 300
	switch {
	case ok:
		o.State, o.NextAttemptAt = "delivered", now
	case d.Manual || now.Sub(d.CreatedAt) >= Window:
		o.State, o.NextAttemptAt = "failed", now
	default:
		o.State, o.NextAttemptAt = "pending", now.Add(Backoff(d.Attempts+1))
	}
	if err := tx.RecordWebhookAttempt(ctx, d, o); err != nil {
		return nil, err
	}
	if d.Manual && !ok {
		// A failed test or resend says nothing new about the endpoint's
		// health: the automatic deliveries decide it.
		return &o, nil
	}
	since, err := tx.MarkWebhookEndpointHealth(ctx, d.EndpointID, ok, now)
	if err != nil {
		return nil, err
	}
	if !ok && since != nil && now.Sub(*since) >= Window {
		if err := s.disable(ctx, tx, d.EndpointID, *since, o, now); err != nil {
			return nil, err
		}
	}
	return &o, nil
}

// secrets opens the endpoint's signing secrets: the current one, and the
// previous one during a rotation's grace period.
func (s *Sender) secrets(d *store.WebhookDue, now time.Time) ([]string, error) {
	cur, err := s.box.Open(d.SecretEnc, PurposeSecret)
	if err != nil {
		return nil, err
	}
	out := []string{cur}
	if d.PreviousSecretEnc != nil && d.PreviousSecretUntil != nil && now.Before(*d.PreviousSecretUntil) {
		if prev, err := s.box.Open(d.PreviousSecretEnc, PurposeSecret); err == nil {
			out = append(out, prev)
		}
	}
	return out, nil
}

// post sends one signed delivery: the Standard Webhooks headers, the
// stored body as it is. It reads the answer up to maxResponseRead and
// keeps its first bytes.
func (s *Sender) post(ctx context.Context, d *store.WebhookDue, now time.Time, secrets []string) (*int, string, error) {
	body := []byte(d.Body)
	// The header carries the wall clock even when a test moves the
	// sender's: receivers check it against theirs.
	ts := time.Now().Unix()
	sig, err := Signature(d.MsgID, ts, body, secrets...)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL, bytes.NewReader(body))
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Portico-Webhooks/1")
	req.Header.Set("webhook-id", d.MsgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	first, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	status := resp.StatusCode
	if err != nil && len(first) == 0 {
		return &status, "", nil // the status is what counts
	}
	return &status, keep(first), nil
}

// keep cuts an answer to what the log shows: its first bytes, as valid
// UTF-8 (a rune cut in two, or binary, becomes U+FFFD).
func keep(b []byte) string {
	if len(b) > maxResponseKept {
		b = b[:maxResponseKept]
	}
	return strings.ToValidUTF8(string(b), "\ufffd")
}

// describe says in words why a delivery got no answer, without the URL
// (shown beside it) or anything the receiver sent.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, netguard.ErrPrivateAddress):
		return "refused: the address is inside the portal's own network"
	case errors.Is(err, seal.ErrUnsealable):
		return "the signing secret cannot be read with this server's secret; rotate it"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "no answer within " + deliveryTimeout.String()
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return strings.ToValidUTF8(msg, "")
}

// disable turns off an endpoint that has failed for the whole window,
// fails what it still had queued, and mails its owner (a partner's
// admins, or the staff member who registered it), in the attempt's
// transaction.
func (s *Sender) disable(ctx context.Context, tx *store.Store, endpointID int64, since time.Time, last store.WebhookOutcome, now time.Time) error {
	e, err := tx.WebhookEndpointByID(ctx, endpointID, true)
	if err != nil {
		return err
	}
	if !e.Enabled {
		return nil
	}
	reason := "Every delivery failed for 24 hours, since " + since.UTC().Format("2 January 2006, 15:04 UTC") + "."
	if err := tx.SetWebhookEndpointEnabled(ctx, e.ID, false, reason, now); err != nil {
		return err
	}
	var to []store.User
	if e.PartnerID != nil {
		if to, err = tx.PartnerAdmins(ctx, *e.PartnerID); err != nil {
			return err
		}
	} else {
		u, err := tx.UserByID(ctx, e.OwnerID)
		if err != nil {
			return err
		}
		to = []store.User{*u}
	}
	what := "The last answer was "
	if last.Status != nil {
		what += "HTTP " + strconv.Itoa(*last.Status) + "."
	} else {
		what = "The last attempt got no answer: " + last.Error + "."
	}
	for _, u := range to {
		msg := pmail.Notice{
			ToEmail: u.Email, ToName: u.Name, Subject: "A Portico webhook endpoint was disabled",
			Greeting: "Hello " + strings.Join(strings.Fields(u.Name), " ") + ",",
			Lines: []string{
				"Portico could not deliver webhooks to " + e.URL + " for 24 hours, so the endpoint was disabled. " +
					"Its queued events were dropped; nothing more is sent to it until someone enables it again.",
				what,
				"Check that the receiver answers with a 2xx status within 10 seconds, then enable the endpoint and send a test event.",
			},
			Link: s.baseURL + "/webhooks/" + strconv.FormatInt(e.ID, 10), LinkLabel: "The endpoint and its delivery log",
			Closing: "— Portico",
		}.Message()
		if err := s.outbox.Enqueue(ctx, tx, msg); err != nil {
			return err
		}
	}
	return recordDisabled(ctx, tx, e, reason)
}

// Run delivers with workers side by side until ctx ends: each takes the
// next due delivery, and waits poll when there is none (or after an
// error, which it logs). A delivery being sent when ctx ends is not cut
// short (it takes at most the delivery timeout): cutting it would send
// it again later.
func (s *Sender) Run(ctx context.Context, workers int, poll time.Duration) {
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for ctx.Err() == nil {
				sent, err := s.DeliverNext(context.WithoutCancel(ctx))
				if err != nil && ctx.Err() == nil {
					s.log.Warn("webhook delivery", "err", err)
				}
				if sent && err == nil {
					continue
				}
				select {
				case <-ctx.Done():
				case <-time.After(poll):
				}
			}
		})
	}
	wg.Wait()
}

// Prune deletes events older than keep whose deliveries are all finished,
// a batch at a time, until none is left or ctx ends.
func (s *Sender) Prune(ctx context.Context, keep time.Duration) (int64, error) {
	var total int64
	for {
		n, err := s.store.DeleteOldWebhookEvents(ctx, s.now().Add(-keep), 1000)
		total += n
		if err != nil || n < 1000 {
			return total, err
		}
	}
}

// recordDisabled audits the disabling, by the portal itself. (The audit
// package queues webhooks through this one, so the row is written here.)
func recordDisabled(ctx context.Context, tx *store.Store, e *store.WebhookEndpoint, reason string) error {
	details, err := json.Marshal(map[string]any{"url": e.URL, "reason": reason})
	if err != nil {
		return fmt.Errorf("audit webhook endpoint %d disabled: %w", e.ID, err)
	}
	id := e.ID
	return tx.InsertAuditEvent(ctx, store.AuditEvent{Action: "webhook.endpoint_disabled", PartnerID: e.PartnerID,
		TargetType: "webhook_endpoint", TargetID: &id, Target: e.URL, Details: details})
}
