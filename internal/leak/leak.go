// Package leak acts on reports of leaked Portico credentials: from a
// secret scanner (GitHub's secret scanning partner format, signed with
// ECDSA P-256) or from anyone through the portal's report form. Every
// reported string that is a credential Portico issued is revoked at once,
// audited, and its owner and partner admins are mailed with where it was
// found. The answer per string is GitHub's feedback label, true_positive
// or false_positive, and never more.
package leak

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/portico/portico/internal/audit"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/internal/webhook"
)

// Limits of one report: a scanner's batch is read whole before any work.
const (
	// MaxBody is the largest report body read, in bytes.
	MaxBody = 1 << 20
	// MaxTokens is the most strings one report may carry.
	MaxTokens = 1000
	// maxWhere bounds the url and source kept in mails and the audit.
	maxWhere = 500
)

// Found is one string a scanner or a person reported, in GitHub's secret
// scanning format.
type Found struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// Labels of a Verdict.
const (
	TruePositive  = "true_positive"
	FalsePositive = "false_positive"
)

// Verdict is the answer for one reported string: its SHA-256 (so the
// answer never carries the secret), the type the scanner gave it, and
// whether it is a credential Portico issued.
type Verdict struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// Service acts on reports.
type Service struct {
	store   *store.Store
	hasher  *token.Hasher
	outbox  *pmail.Outbox
	baseURL string
	now     func() time.Time
}

// New returns the service; baseURL is the portal's public URL, for links
// in mails.
func New(st *store.Store, hasher *token.Hasher, outbox *pmail.Outbox, baseURL string) *Service {
	return &Service{store: st, hasher: hasher, outbox: outbox, baseURL: strings.TrimSuffix(baseURL, "/"), now: time.Now}
}

// Report checks every string of one report, made by reporter (words for
// mails and the audit, e.g. "GitHub secret scanning"), and revokes the
// credentials among them, all in one transaction: a report is acted on
// whole or not at all, so a scanner that gets an error may send it again.
// A string reported twice, or a credential already revoked, is still a
// true positive but revoked and mailed about once.
func (s *Service) Report(ctx context.Context, reporter string, found []Found) ([]Verdict, error) {
	if len(found) > MaxTokens {
		return nil, fmt.Errorf("leak report: %d strings, at most %d", len(found), MaxTokens)
	}
	out := make([]Verdict, len(found))
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		for i, f := range found {
			sum := sha256.Sum256([]byte(f.Token))
			out[i] = Verdict{TokenHash: hex.EncodeToString(sum[:]), TokenType: f.Type, Label: FalsePositive}
			known, err := s.one(ctx, tx, reporter, f)
			if err != nil {
				return err
			}
			if known {
				out[i].Label = TruePositive
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// one acts on one string and reports whether it is a credential Portico
// issued (open or not).
func (s *Service) one(ctx context.Context, tx *store.Store, reporter string, f Found) (bool, error) {
	p, err := token.Parse(strings.TrimSpace(f.Token))
	if err != nil {
		return false, nil
	}
	w := where{reporter: reporter, url: clean(f.URL), source: clean(f.Source)}
	hash := s.hasher.Hash(p.Plaintext())
	switch p.Kind {
	case token.KindSandbox, token.KindLive, token.KindClientSecret:
		t, err := tx.TokenByAnyHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return true, s.tokenLeaked(ctx, tx, &t.Token, t.Previous, p.Hint(), w)
	case token.KindAccessToken:
		a, err := tx.AccessTokenByHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return true, s.accessTokenLeaked(ctx, tx, a, hash, p.Hint(), w)
	case token.KindResourceServer:
		rs, err := tx.ResourceServerByHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return true, s.serverLeaked(ctx, tx, rs, w)
	}
	// Invitation, reset and email links are single-use links, not API
	// credentials: not acted on here.
	return false, nil
}

// where is what a report says of a leak, for mails and the audit.
type where struct {
	reporter, url, source string
}

func (w where) sentence() string {
	s := "It was reported by " + w.reporter
	if w.url != "" {
		s += ", found at " + w.url
	}
	if w.source != "" {
		s += " (" + w.source + ")"
	}
	return s + "."
}

func (w where) details(d map[string]any) map[string]any {
	d["reporter"] = w.reporter
	if w.url != "" {
		d["url"] = w.url
	}
	if w.source != "" {
		d["source"] = w.source
	}
	return d
}

// clean bounds a reporter's free text, drops control characters, so it
// cannot forge lines in a mail or the audit trail, and redacts any
// credential in it (a reporter may paste the token where it was found).
func clean(s string) string {
	s = token.RedactPath(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > maxWhere {
		s = string(r[:maxWhere]) + "…"
	}
	return s
}

// tokenLeaked revokes a token or OAuth client whose secret was reported
// (or, for the secret a rotation replaced, ends its grace period) and
// tells its owner and partner admins. Nothing is written for a secret that
// no longer works.
func (s *Service) tokenLeaked(ctx context.Context, tx *store.Store, t *store.Token, previous bool, hint string, w where) error {
	noun := "token"
	if t.IsClient() {
		noun = "OAuth client"
	}
	var ended bool
	var err error
	open := t.RevokedAt == nil && s.now().Before(t.ExpiresAt)
	if previous && open {
		ended, err = tx.EndGrace(ctx, t.ID)
	} else if !previous && open {
		err = tx.RevokeToken(ctx, t.ID, nil, "leaked: reported by "+w.reporter)
		ended = err == nil
		if errors.Is(err, store.ErrNotFound) {
			err = nil // revoked meanwhile
		}
	}
	if err != nil || !ended {
		return err
	}
	what := fmt.Sprintf("The %s %s “%s” (%s) of %s was found in public and revoked on %s. Calls with it are refused from now on.",
		t.Environment, noun, t.Name, hint, t.OwnerName, s.stamp())
	subject := "A Portico " + noun + " was leaked and revoked"
	if previous {
		what = fmt.Sprintf("The previous secret (%s) of the %s %s “%s” of %s, still working during its rotation's grace period, was found in public and stopped working on %s. The current secret works on.",
			hint, t.Environment, noun, t.Name, t.OwnerName, s.stamp())
		subject = "A previous Portico " + noun + " secret was leaked and stopped"
	}
	if err := s.mailPartner(ctx, tx, t.PartnerID, t.UserID, subject, "/tokens",
		what, w.sentence(), "Remove it from where it was found, create a new one if it is still needed, and update the jobs that used it."); err != nil {
		return err
	}
	id := t.ID
	alertID, raised, err := tx.RaiseAlert(ctx, store.NewAlert{PartnerID: t.PartnerID, TokenID: &id, Rule: "leaked", Cause: hint,
		Message: what + " " + w.sentence()})
	if err != nil {
		return err
	}
	if raised {
		if err := webhook.QueueAlertRaised(ctx, tx, alertID, t.PartnerID); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, audit.Event{
		Action: "token.leaked", PartnerID: t.PartnerID, TargetType: "token", TargetID: t.ID, Target: t.Name,
		Details: w.details(map[string]any{"hint": hint, "owner": t.OwnerEmail, "previous_secret": previous}),
	})
}

// accessTokenLeaked revokes a reported OAuth access token and tells its
// client's owner and partner admins.
func (s *Service) accessTokenLeaked(ctx context.Context, tx *store.Store, a *store.ReportedAccessToken, hash []byte, hint string, w where) error {
	if a.RevokedAt != nil || !s.now().Before(a.ExpiresAt) {
		return nil
	}
	revoked, err := tx.RevokeAccessToken(ctx, hash, nil, nil)
	if err != nil || !revoked {
		return err
	}
	c, err := tx.TokenByID(ctx, a.ClientTokenID)
	if err != nil {
		return err
	}
	if err := s.mailPartner(ctx, tx, c.PartnerID, c.UserID, "A Portico OAuth access token was leaked and revoked", "/tokens",
		fmt.Sprintf("An access token (%s) of the OAuth client “%s” of %s was found in public and revoked on %s. The client and its secret work on.", hint, c.Name, c.OwnerName, s.stamp()),
		w.sentence(), "Find out how the client's access tokens came to be published; if its secret may be exposed too, regenerate it."); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{
		Action: "access_token.leaked", PartnerID: c.PartnerID, TargetType: "token", TargetID: c.ID, Target: c.Name,
		Details: w.details(map[string]any{"hint": hint, "owner": c.OwnerEmail}),
	})
}

// serverLeaked revokes a reported resource server credential and tells
// the platform admins.
func (s *Service) serverLeaked(ctx context.Context, tx *store.Store, rs *store.ResourceServer, w where) error {
	if rs.RevokedAt != nil {
		return nil
	}
	if err := tx.RevokeResourceServer(ctx, rs.ID, nil); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	admins, err := tx.PlatformAdmins(ctx)
	if err != nil {
		return err
	}
	for _, u := range admins {
		if err := s.notify(ctx, tx, u, "A resource server credential was leaked and revoked", "/resource-servers",
			fmt.Sprintf("The resource server credential “%s” (%s, %s) was found in public and revoked on %s.", rs.Name, rs.ClientID, rs.Hint, s.stamp()),
			w.sentence(), "Issue the service a new credential; it cannot introspect or revoke tokens until it has one."); err != nil {
			return err
		}
	}
	return audit.Record(ctx, tx, audit.Event{
		Action: "resource_server.leaked", TargetType: "resource_server", TargetID: rs.ID, Target: rs.Name,
		Details: w.details(map[string]any{"client_id": rs.ClientID, "hint": rs.Hint}),
	})
}

// mailPartner mails the credential's owner and the partner's admins, each
// once.
func (s *Service) mailPartner(ctx context.Context, tx *store.Store, partnerID, ownerID int64, subject, path string, lines ...string) error {
	admins, err := tx.PartnerAdmins(ctx, partnerID)
	if err != nil {
		return err
	}
	to := admins
	if !containsUser(admins, ownerID) {
		owner, err := tx.UserByID(ctx, ownerID)
		if err != nil {
			return err
		}
		if owner.Status == "active" {
			to = append([]store.User{*owner}, admins...)
		}
	}
	for _, u := range to {
		if err := s.notify(ctx, tx, u, subject, path, lines...); err != nil {
			return err
		}
	}
	return nil
}

func containsUser(us []store.User, id int64) bool {
	for _, u := range us {
		if u.ID == id {
			return true
		}
	}
	return false
}

func (s *Service) notify(ctx context.Context, tx *store.Store, u store.User, subject, path string, lines ...string) error {
	return s.outbox.Enqueue(ctx, tx, pmail.Notice{
		ToEmail: u.Email, ToName: u.Name, Subject: subject, Greeting: "Hello " + u.Name + ",", Lines: lines,
		Link: s.baseURL + path, LinkLabel: "Open Portico", Closing: "— Portico",
	}.Message())
}

func (s *Service) stamp() string { return s.now().UTC().Format("2 January 2006, 15:04 UTC") }
