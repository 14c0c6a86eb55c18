package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/audit"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/textcheck"
)

var slugPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

// Service imports APIs and serves their parsed documents.
type Service struct {
	store *store.Store

	mu     sync.Mutex
	parsed map[revKey]*Spec
	// docs caches the documentation pages built by Docs.
	docs docCache
}

type revKey struct {
	api int64
	rev int
}

// NewService returns the catalog service.
func NewService(st *store.Store) *Service {
	return &Service{store: st, parsed: map[revKey]*Spec{}}
}

// Imported is the outcome of an import.
type Imported struct {
	API      *store.API
	Revision int
	Added    []string
	Removed  []string
}

func actorRef(a access.Actor) *int64 {
	if a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// Create imports a new API from its document. Nothing is stored when the
// document, the slug or the name is refused.
func (s *Service) Create(ctx context.Context, actor access.Actor, slug, name string, data []byte) (*Imported, error) {
	slug = strings.TrimSpace(slug)
	name = strings.TrimSpace(name)
	if !slugPattern.MatchString(slug) {
		return nil, &apierr.FieldError{Field: "slug", Message: "Use 1 to 64 lower-case letters, digits and dashes, starting and ending with a letter or digit (it appears in URLs: /sandbox/SLUG/…)."}
	}
	spec, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if name == "" {
		name = spec.Title
	}
	if p := textcheck.Line(name); p != "" {
		return nil, &apierr.FieldError{Field: "name", Message: "The display name " + p}
	}
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return nil, &apierr.FieldError{Field: "name", Message: "Enter a display name (up to 200 characters)."}
	}
	ops, _ := Diff(nil, spec.Operations)
	var api *store.API
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		api, err = tx.CreateAPI(ctx, slug, name, s.revision(actor, spec, data, ops, nil))
		if errors.Is(err, store.ErrSlugTaken) {
			return &apierr.FieldError{Field: "slug", Message: fmt.Sprintf("An API with the slug %q exists already. To update it, import a new revision from its page.", slug)}
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, apiEvent("api.import", api, map[string]any{"slug": slug, "version": spec.Version, "revision": 1, "operations": len(ops)}))
	})
	if err != nil {
		return nil, err
	}
	return &Imported{API: api, Revision: 1, Added: ops}, nil
}

// AddRevision imports a new revision of an existing API, recording which
// operations it adds and removes.
func (s *Service) AddRevision(ctx context.Context, actor access.Actor, apiID int64, data []byte) (*Imported, error) {
	spec, err := Parse(data)
	if err != nil {
		return nil, err
	}
	out := &Imported{}
	err = s.store.InTx(ctx, func(tx *store.Store) error {
		cur, err := tx.CurrentRevision(ctx, apiID)
		if err != nil {
			return err
		}
		var old []Operation
		if err := json.Unmarshal(cur.Operations, &old); err != nil {
			return fmt.Errorf("decode operations of API %d: %w", apiID, err)
		}
		out.Added, out.Removed = Diff(old, spec.Operations)
		out.Revision, err = tx.AddRevision(ctx, apiID, s.revision(actor, spec, data, out.Added, out.Removed))
		if err != nil {
			return err
		}
		if out.API, err = tx.APIByID(ctx, apiID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, apiEvent("api.revision", out.API, map[string]any{"revision": out.Revision, "version": spec.Version,
			"added": len(out.Added), "removed": len(out.Removed)}))
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// apiEvent is the audit event of a change to an API: the provider's own
// business, so it concerns no partner.
func apiEvent(action string, api *store.API, details map[string]any) audit.Event {
	return audit.Event{Action: action, TargetType: "api", TargetID: api.ID, Target: api.Name, Details: details}
}

func (s *Service) revision(actor access.Actor, spec *Spec, data []byte, added, removed []string) store.NewRevision {
	scopes := make([]string, 0, len(spec.Scopes))
	for sc := range spec.Scopes {
		scopes = append(scopes, sc)
	}
	sortStrings(scopes)
	return store.NewRevision{Version: spec.Version, Spec: data, Operations: spec.Operations, Scopes: scopes,
		Added: added, Removed: removed, ImportedBy: actorRef(actor)}
}

// Current returns the API's current document, parsed (cached per revision:
// revisions never change once stored).
func (s *Service) Current(ctx context.Context, apiID int64) (*Spec, *store.Revision, error) {
	rev, err := s.store.CurrentRevision(ctx, apiID)
	if err != nil {
		return nil, nil, err
	}
	k := revKey{apiID, rev.Revision}
	s.mu.Lock()
	spec := s.parsed[k]
	s.mu.Unlock()
	if spec != nil {
		return spec, rev, nil
	}
	spec, err = Parse(rev.Spec)
	if err != nil {
		return nil, nil, fmt.Errorf("parse stored revision %d of API %d: %w", rev.Revision, apiID, err)
	}
	s.mu.Lock()
	s.parsed[k] = spec
	s.mu.Unlock()
	return spec, rev, nil
}

// Delete removes an API, refused while access groups include it.
func (s *Service) Delete(ctx context.Context, apiID int64) error {
	return s.store.InTx(ctx, func(tx *store.Store) error {
		api, err := tx.APIByID(ctx, apiID)
		if err != nil {
			return err
		}
		groups, err := tx.GroupsIncludingAPI(ctx, apiID)
		if err != nil {
			return err
		}
		if len(groups) > 0 {
			return &apierr.FieldError{Field: "api", Message: "Access groups still include this API: " + strings.Join(groups, ", ") + ". Remove it from them first."}
		}
		if err := tx.DeleteAPI(ctx, apiID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, apiEvent("api.delete", api, map[string]any{"slug": api.Slug}))
	})
}

// SetStatus activates, deprecates (sunset required) or retires an API.
// Setting the status it has already (with the same sunset) records nothing.
func (s *Service) SetStatus(ctx context.Context, apiID int64, status string, sunset *time.Time) (*store.API, error) {
	switch {
	case status == store.APIDeprecated && sunset == nil:
		return nil, &apierr.FieldError{Field: "sunset", Message: "A deprecated API needs a sunset date: the day it will be switched off."}
	case status == store.APIDeprecated:
	case status == store.APIActive, status == store.APIRetired:
		sunset = nil
	default:
		return nil, &apierr.FieldError{Field: "status", Message: "Choose active, deprecated or retired."}
	}
	var api *store.API
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if api, err = tx.APIByID(ctx, apiID); err != nil {
			return err
		}
		if err := tx.SetAPIStatus(ctx, apiID, status, sunset); err != nil {
			return err
		}
		from, fromSunset := api.Status, api.SunsetAt
		api.Status, api.SunsetAt = status, sunset
		if from == status && sameDay(fromSunset, sunset) {
			return nil
		}
		details := map[string]any{"from": from, "to": status}
		if sunset != nil {
			details["sunset"] = sunset.UTC().Format(time.DateOnly)
		}
		return audit.Record(ctx, tx, apiEvent("api.status", api, details))
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}

// SetUpstream sets the URL live calls of an API are proxied to; empty
// clears it. Only absolute http(s) URLs without credentials, query or
// fragment are taken.
func (s *Service) SetUpstream(ctx context.Context, apiID int64, raw string) (*store.API, error) {
	raw = strings.TrimSpace(raw)
	var upstream *string
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || len(raw) > 2000 {
			return nil, &apierr.FieldError{Field: "upstream", Message: "Enter an absolute http or https URL without credentials, query or fragment, such as https://api.internal.example.com/fleet."}
		}
		clean := strings.TrimSuffix(u.String(), "/")
		upstream = &clean
	}
	var api *store.API
	err := s.store.InTx(ctx, func(tx *store.Store) error {
		var err error
		if api, err = tx.APIByID(ctx, apiID); err != nil {
			return err
		}
		if err := tx.SetAPIUpstream(ctx, apiID, upstream); err != nil {
			return err
		}
		from := ""
		if api.UpstreamURL != nil {
			from = *api.UpstreamURL
		}
		api.UpstreamURL = upstream
		to := ""
		if upstream != nil {
			to = *upstream
		}
		if from == to {
			return nil
		}
		return audit.Record(ctx, tx, apiEvent("api.upstream", api, map[string]any{"from": from, "to": to}))
	})
	if err != nil {
		return nil, err
	}
	return api, nil
}

func sameDay(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly)
}
