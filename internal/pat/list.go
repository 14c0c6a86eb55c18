package pat

import (
	"context"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

// APIChoice is one API whose scopes the token form offers.
type APIChoice struct {
	Slug, Name, Status string
	// Revision is the API's current document, whose scope descriptions
	// the form shows.
	Revision store.RevisionRef
	// Scopes are those the user is granted now.
	Scopes []string
	// Groups are the access groups that grant them.
	Groups []string
}

// Choices is everything the token form offers a user.
type Choices struct {
	APIs   []APIChoice
	Portal []access.PortalScope
	// Expiry are the lifetimes in days; DefaultDays is preselected.
	Expiry      []int
	DefaultDays int
	MaxDays     int
	// ApprovalRequired says live tokens wait for a partner admin.
	ApprovalRequired bool
	// GroupRate is the highest requests-per-minute limit of the access
	// groups through which the user reaches an API (0 when none), for the
	// hint of the token's own limit.
	GroupRate int
}

// Choices returns what the actor may put on a new token now.
func (s *Service) Choices(ctx context.Context, actor access.Actor) (*Choices, error) {
	if access.Can(actor, access.CreateToken, actor.PartnerID) != access.Allow {
		return nil, ErrForbidden
	}
	life, err := s.store.TokenLifetimeOf(ctx, actor.PartnerID)
	if err != nil {
		return nil, err
	}
	granted, err := catalog.EffectiveAccess(ctx, s.store, actor.UserID)
	if err != nil {
		return nil, err
	}
	apis, err := s.store.ListAPIListings(ctx)
	if err != nil {
		return nil, err
	}
	approval, err := s.store.RequiresLiveApproval(ctx, actor.PartnerID)
	if err != nil {
		return nil, err
	}
	c := &Choices{
		Portal:           access.PortalScopesFor(actor.Role),
		Expiry:           ExpiryChoices(life.Days()),
		DefaultDays:      DefaultExpiry(life.Days()),
		MaxDays:          life.Days(),
		ApprovalRequired: approval && actor.Role != access.RolePartnerAdmin,
	}
	for _, a := range apis {
		g := granted.APIs[a.Slug]
		if g == nil || len(g.Scopes) == 0 {
			continue
		}
		ch := APIChoice{Slug: a.Slug, Name: a.Name, Status: a.Status, Scopes: g.Scopes,
			Revision: store.RevisionRef{APIID: a.ID, Revision: a.CurrentRevision}}
		for _, gr := range g.Groups {
			ch.Groups = append(ch.Groups, gr.Name)
			c.GroupRate = max(c.GroupRate, gr.RatePerMinute)
		}
		c.APIs = append(c.APIs, ch)
	}
	return c, nil
}

// Page is one page of a token list, newest first.
type Page struct {
	Tokens []store.Token
	// More says whether rows follow the last one.
	More bool
}

// ListOwn returns a page of the actor's own tokens.
func (s *Service) ListOwn(ctx context.Context, actor access.Actor, q store.TokenQuery) (*Page, error) {
	ts, more, err := s.store.UserTokensPage(ctx, actor.UserID, q)
	if err != nil {
		return nil, err
	}
	return &Page{Tokens: ts, More: more}, nil
}

// ListPartner returns a page of every token of a partner, for its admins
// and staff.
func (s *Service) ListPartner(ctx context.Context, actor access.Actor, partnerID int64, q store.TokenQuery) (*Page, error) {
	switch access.Can(actor, access.ViewPartnerTokens, partnerID) {
	case access.Allow:
	case access.Hidden:
		return nil, ErrNotFound
	default:
		return nil, ErrForbidden
	}
	ts, more, err := s.store.PartnerTokensPage(ctx, partnerID, q)
	if err != nil {
		return nil, err
	}
	return &Page{Tokens: ts, More: more}, nil
}
