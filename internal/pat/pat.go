// Package pat is the life of personal access tokens: creating them with
// scopes the owner is granted now, listing, renaming, regenerating with an
// optional grace period, approving and revoking. Each action is one
// transaction with its audit event and the mail it causes. The plaintext
// of a token leaves this package exactly once, in the value Create or
// Regenerate returns; only its HMAC is stored.
package pat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/catalog"
	pmail "github.com/portico/portico/internal/mail"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
	"github.com/portico/portico/internal/token"
)

// Limits of the token form.
const (
	DefaultDays = 90
	MaxGrace    = 24 * time.Hour
	maxName     = 100
)

// Errors the handlers turn into messages.
var (
	// ErrNotFound is a token that does not exist or that the actor may not
	// see: the two are indistinguishable.
	ErrNotFound = errors.New("token not found")
	// ErrForbidden is an action the actor's role does not allow on a token
	// they may see.
	ErrForbidden = errors.New("not allowed on this token")
	// ErrClosed is an action on a revoked or expired token.
	ErrClosed = errors.New("token revoked or expired")
)

// Service carries out the actions.
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

// Input is what the token form sends.
type Input struct {
	Name        string
	Environment string
	// Days is the lifetime, up to the portal's maximum.
	Days int
	// Scopes are "SLUG/SCOPE" for catalog APIs and portal scopes by name.
	Scopes []string
	// RatePerMinute is the token's own limit of requests per minute,
	// across every API, on top of its partner's access-group limits; nil
	// for none.
	RatePerMinute *int
}

// Created is a token with its plaintext, to be shown once.
type Created struct {
	Token     *store.Token
	Plaintext string
}

// ExpiryChoices are the lifetimes the form offers, in days, up to max
// (which is always offered).
func ExpiryChoices(max int) []int {
	var out []int
	for _, d := range []int{7, 30, 60, 90, 180, 365} {
		if d < max {
			out = append(out, d)
		}
	}
	return append(out, max)
}

// DefaultExpiry is the preselected lifetime: 90 days, or the maximum when
// that is shorter.
func DefaultExpiry(max int) int { return min(DefaultDays, max) }

// MaxRatePerMinute is the highest limit a token may carry, as for access
// groups.
const MaxRatePerMinute = catalog.MaxRatePerMinute

// checkRateLimit accepts nil (no limit of its own) or 1 to MaxRatePerMinute.
func checkRateLimit(n *int) error {
	if n != nil && (*n < 1 || *n > MaxRatePerMinute) {
		return rateLimitError()
	}
	return nil
}

func rateLimitError() error {
	return &apierr.FieldError{Field: "rate_limit", Message: fmt.Sprintf("Enter the requests per minute as a whole number from 1 to %d, or leave it empty for your organisation's limits only.", MaxRatePerMinute)}
}

// ParseRateLimit reads a rate limit as a form sends it: empty is none
// (nil), otherwise a whole number from 1 to MaxRatePerMinute.
func ParseRateLimit(raw string) (*int, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return nil, rateLimitError()
	}
	if err := checkRateLimit(&n); err != nil {
		return nil, err
	}
	return &n, nil
}

func checkName(raw string) (string, error) {
	name := strings.Join(strings.Fields(raw), " ")
	if p := textcheck.Line(name); p != "" {
		return "", &apierr.FieldError{Field: "name", Message: "The name " + p}
	}
	if name == "" {
		return "", &apierr.FieldError{Field: "name", Message: "Give the token a name, such as “CI deploy” or “Laptop”."}
	}
	if utf8.RuneCountInString(name) > maxName {
		return "", &apierr.FieldError{Field: "name", Message: fmt.Sprintf("Keep the name under %d characters.", maxName)}
	}
	return name, nil
}

// Create makes a token for the actor. Its scopes must be granted to them
// now; a live token of a partner that requires approval is created
// pending unless a partner admin creates it.
func (s *Service) Create(ctx context.Context, actor access.Actor, in Input) (*Created, error) {
	if access.Can(actor, access.CreateToken, actor.PartnerID) != access.Allow {
		return nil, ErrForbidden
	}
	name, scopes, err := s.checkInput(ctx, actor, in)
	if err != nil {
		return nil, err
	}
	kind := token.KindSandbox
	if in.Environment == store.EnvLive {
		kind = token.KindLive
	}
	plain, err := token.New(kind)
	if err != nil {
		return nil, fmt.Errorf("create token: %w", err)
	}
	created, err := s.insert(ctx, actor, store.NewToken{
		UserID: actor.UserID, PartnerID: actor.PartnerID, Name: name, Environment: in.Environment,
		Hash: s.hasher.Hash(plain), Hint: token.Hint(plain), Scopes: scopes,
		ExpiresAt: s.now().Add(time.Duration(in.Days) * 24 * time.Hour), RatePerMinute: in.RatePerMinute,
	}, "token.create", nil)
	if err != nil {
		return nil, err
	}
	return &Created{Token: created, Plaintext: plain}, nil
}

// insert stores a new token or client row in one transaction with what
// comes with it: a live one of a partner that requires approval is
// pending unless a partner admin creates it (and the partner's admins are
// mailed), and the audit event action, whose details are the row's
// settings plus extra.
func (s *Service) insert(ctx context.Context, actor access.Actor, nt store.NewToken, action string, extra map[string]any) (*store.Token, error) {
	var created *store.Token
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if nt.Environment == store.EnvLive && actor.Role != access.RolePartnerAdmin {
			if nt.Pending, err = tx.RequiresLiveApproval(ctx, actor.PartnerID); err != nil {
				return err
			}
		}
		id, err := tx.InsertToken(ctx, nt)
		if err != nil {
			return err
		}
		if created, err = tx.TokenByID(ctx, id); err != nil {
			return err
		}
		if nt.Pending {
			if err := s.mailApprovers(ctx, tx, created); err != nil {
				return err
			}
		}
		details := map[string]any{"hint": created.Hint, "environment": nt.Environment, "scopes": nt.Scopes,
			"expires_at": created.ExpiresAt, "pending": nt.Pending, "rate_limit_per_minute": nt.RatePerMinute}
		for k, v := range extra {
			details[k] = v
		}
		return audit.Record(ctx, tx, audit.Event{
			Action: action, PartnerID: actor.PartnerID, TargetType: "token", TargetID: id, Target: nt.Name, Details: details,
		})
	})
	if err != nil {
		return nil, err
	}
	return created, nil
}

// checkInput checks the settings a token and an OAuth client share: the
// name (returned tidied), the environment, the lifetime within the
// portal's maximum, the scopes (returned sorted) and the own rate limit.
func (s *Service) checkInput(ctx context.Context, actor access.Actor, in Input) (string, []string, error) {
	name, err := checkName(in.Name)
	if err != nil {
		return "", nil, err
	}
	if in.Environment != store.EnvSandbox && in.Environment != store.EnvLive {
		return "", nil, &apierr.FieldError{Field: "environment", Message: "Choose sandbox or live."}
	}
	life, err := s.store.TokenLifetimeOf(ctx, actor.PartnerID)
	if err != nil {
		return "", nil, err
	}
	if max := life.Days(); in.Days < 1 || in.Days > max {
		whose := "the portal's maximum"
		if life.PartnerCapped() {
			whose = "your organisation's maximum"
		}
		return "", nil, &apierr.FieldError{Field: "expiry", Message: fmt.Sprintf("Choose a lifetime between 1 and %d days (%s).", max, whose)}
	}
	scopes, err := s.checkScopes(ctx, actor, in.Environment, in.Scopes)
	if err != nil {
		return "", nil, err
	}
	if err := checkRateLimit(in.RatePerMinute); err != nil {
		return "", nil, err
	}
	return name, scopes, nil
}

// MaxScope is the longest scope a token may carry: SLUG/SCOPE, a slug of
// up to 64 characters and a scope name of up to catalog.MaxScopeName.
const MaxScope = 64 + 1 + catalog.MaxScopeName

// checkScopes returns the requested scopes, sorted and without duplicates,
// or a FieldError naming the first one the actor may not have.
// Portal scopes change real data, so only live tokens (created after
// entering the password again) may carry them.
func (s *Service) checkScopes(ctx context.Context, actor access.Actor, env string, want []string) ([]string, error) {
	if len(want) == 0 {
		return nil, &apierr.FieldError{Field: "scopes", Message: "Choose at least one scope."}
	}
	if len(want) > catalog.MaxScopes {
		return nil, &apierr.FieldError{Field: "scopes", Message: fmt.Sprintf("Choose at most %d scopes.", catalog.MaxScopes)}
	}
	for _, sc := range want {
		if utf8.RuneCountInString(sc) > MaxScope {
			return nil, &apierr.FieldError{Field: "scopes", Message: fmt.Sprintf("A scope has at most %d characters.", MaxScope)}
		}
	}
	granted, err := catalog.EffectiveAccess(ctx, s.store, actor.UserID)
	if err != nil {
		return nil, err
	}
	out := slices.Clone(want)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, sc := range out {
		if api, scope, ok := strings.Cut(sc, "/"); ok {
			if granted.Allows(api, scope) {
				continue
			}
		} else if access.IsPortalScope(actor.Role, sc) {
			if env != store.EnvLive {
				return nil, &apierr.FieldError{Field: "scopes", Message: fmt.Sprintf("%q works on the management API, which only live tokens may use.", sc)}
			}
			continue
		}
		return nil, &apierr.FieldError{Field: "scopes", Message: fmt.Sprintf("You are not granted %q (any more): reload the form and choose again.", sc)}
	}
	return out, nil
}

// load returns a token the actor may act on with act.
func (s *Service) load(ctx context.Context, actor access.Actor, act access.Action, id int64) (*store.Token, error) {
	t, err := s.store.TokenByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	switch access.CanToken(actor, act, t.UserID, t.PartnerID) {
	case access.Allow:
		return t, nil
	case access.Hidden:
		return nil, ErrNotFound
	}
	return nil, ErrForbidden
}

// Get returns a token the actor may see.
func (s *Service) Get(ctx context.Context, actor access.Actor, id int64) (*store.Token, error) {
	return s.load(ctx, actor, access.ViewToken, id)
}
