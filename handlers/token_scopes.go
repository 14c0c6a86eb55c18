package handlers

import (
	"context"

	"github.com/portico/portico/internal/pat"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// scopeChoices are the scope checkboxes of the token and client forms:
// each granted API's scopes with their descriptions from its current
// document (read for all APIs at once), then the management API's; those
// in checked are ticked.
func (h *Handler) scopeChoices(ctx context.Context, ch *pat.Choices, checked map[string]bool) ([]views.TokenAPIChoice, []views.TokenScopeChoice, error) {
	refs := make([]store.RevisionRef, len(ch.APIs))
	for i, api := range ch.APIs {
		refs[i] = api.Revision
	}
	described, err := h.catalog.ScopeDescriptions(ctx, refs)
	if err != nil {
		return nil, nil, err
	}
	apis := make([]views.TokenAPIChoice, 0, len(ch.APIs))
	for _, api := range ch.APIs {
		ac := views.TokenAPIChoice{Slug: api.Slug, Name: api.Name, Status: api.Status, Groups: api.Groups}
		for _, s := range api.Scopes {
			v := api.Slug + "/" + s
			ac.Scopes = append(ac.Scopes, views.TokenScopeChoice{Value: v, Label: s, Description: described[api.Revision.APIID][s], Checked: checked[v]})
		}
		apis = append(apis, ac)
	}
	portal := make([]views.TokenScopeChoice, 0, len(ch.Portal))
	for _, p := range ch.Portal {
		portal = append(portal, views.TokenScopeChoice{Value: p.Name, Label: p.Name, Description: p.Description, Checked: checked[p.Name]})
	}
	return apis, portal, nil
}
