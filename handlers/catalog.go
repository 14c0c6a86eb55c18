package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// apiNotFound is the one answer for an API that does not exist, that the
// viewer is not granted, or that is retired (for partner users): the same
// page in every case, so the catalog's contents do not leak.
const apiNotFound = "This API"

// grantedAPIs is what a partner user is granted now, by API slug; nil for
// staff, who read every API and hold no grants.
func (h *Handler) grantedAPIs(ctx context.Context, a access.Actor) (map[string]*catalog.APIAccess, error) {
	if a.Staff() {
		return nil, nil
	}
	acc, err := catalog.EffectiveAccess(ctx, h.store, a.UserID)
	if err != nil {
		return nil, err
	}
	return acc.APIs, nil
}

// catalogPage is the frame of the catalog's pages, with APIs marked as the
// current section of the navigation.
func (h *Handler) catalogPage(c echo.Context, title string) views.Page {
	p := h.page(c, title)
	for i := range p.Nav {
		p.Nav[i].Current = p.Nav[i].Href == "/apis"
	}
	return p
}

// apiCatalog lists the APIs the viewer may read: every API for staff,
// with its status; for partner users those they are granted now, never a
// retired one, with the scopes they hold.
func (h *Handler) apiCatalog(c echo.Context) error {
	if err := h.authorize(c, access.ViewCatalog, 0); err != nil {
		return err
	}
	q, err := pageQuery(c, store.APIsList, listPageSize, brokenLink("APIs", "APIs from the menu"))
	if err != nil {
		return err
	}
	a := actorOf(currentUser(c))
	ctx := c.Request().Context()
	granted, err := h.grantedAPIs(ctx, a)
	if err != nil {
		return err
	}
	apis, more, err := h.store.APIListingsPage(ctx, grantedSlugs(granted), q)
	if err != nil {
		return err
	}
	m := views.CatalogPage{Staff: a.Staff(), CanImport: access.Can(a, access.ManageCatalog, 0) == access.Allow,
		PartnerAdmin: a.Role == access.RolePartnerAdmin,
		Search:       views.ListSearch{Action: "/apis", ID: "api-q", Label: "Search APIs by name or slug", Query: q.Search}}
	for _, api := range apis {
		e := views.CatalogEntry{Slug: api.Slug, Name: api.Name, Version: api.Version, Status: api.Status,
			Sunset: sunsetWords(api.API), Operations: api.OperationCount}
		if x := granted[api.Slug]; x != nil {
			e.Scopes = x.Scopes
			for _, g := range x.Groups {
				e.Via = append(e.Via, g.Name)
			}
		}
		m.APIs = append(m.APIs, e)
	}
	if m.PartnerAdmin && len(m.APIs) == 0 && q.Search == "" && q.After == nil {
		if m.PartnerAPIs, err = h.store.PartnerGrantedAPIs(ctx, a.PartnerID); err != nil {
			return err
		}
	}
	m.Pager.Label = "API pages"
	m.Pager.FirstHref, m.Pager.NextHref = pageLinks(store.APIsList, q.After, apis, more, "/apis", "q", q.Search)
	m.Page = h.catalogPage(c, "APIs")
	return h.render(c, http.StatusOK, views.Catalog(m))
}

// grantedSlugs lists the slugs of what a partner user is granted, for the
// catalog's page query; nil (every API) for staff, an empty list for a
// partner user granted nothing.
func grantedSlugs[T any](granted map[string]T) []string {
	if granted == nil {
		return nil
	}
	slugs := make([]string, 0, len(granted))
	for slug := range granted {
		slugs = append(slugs, slug)
	}
	return slugs
}

// visibleAPI finds the API of the path's slug as the viewer may read it:
// staff any API; a partner user one they are granted now and not retired.
// For partner users it also returns what they hold on it.
func (h *Handler) visibleAPI(c echo.Context) (*store.API, *catalog.APIAccess, error) {
	if err := h.authorize(c, access.ViewCatalog, 0); err != nil {
		return nil, nil, err
	}
	a := actorOf(currentUser(c))
	ctx := c.Request().Context()
	slug := c.Param("slug")
	granted, err := h.grantedAPIs(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	var held *catalog.APIAccess
	if granted != nil {
		// Ungranted slugs are refused before the catalog is looked at.
		if held = granted[slug]; held == nil {
			return nil, nil, NotFound(apiNotFound)
		}
	}
	api, err := h.store.APIBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, NotFound(apiNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	if held != nil && api.Status == store.APIRetired {
		return nil, nil, NotFound(apiNotFound)
	}
	return api, held, nil
}

// apiDocs renders an API's documentation from its current revision.
func (h *Handler) apiDocs(c echo.Context) error {
	api, held, err := h.visibleAPI(c)
	if err != nil {
		return err
	}
	doc, err := h.catalog.Docs(c.Request().Context(), api.ID, h.docTarget(c, api.Slug))
	if errors.Is(err, store.ErrNotFound) {
		return NotFound(apiNotFound) // deleted meanwhile
	}
	if err != nil {
		return err
	}
	m := views.DocsPage{Slug: api.Slug, Name: api.Name, Status: api.Status, Sunset: sunsetWords(*api), Doc: doc}
	if api.SunsetAt != nil {
		m.SunsetDate = api.SunsetAt.UTC().Format("2006-01-02")
	}
	if held != nil {
		m.Held = make(map[string]bool, len(held.Scopes))
		for _, sc := range held.Scopes {
			m.Held[sc] = true
		}
	}
	if access.Can(actorOf(currentUser(c)), access.ManageCatalog, 0) == access.Allow {
		m.RevisionsHref = "/catalog/" + api.Slug + "/revisions"
	}
	m.Page = h.catalogPage(c, api.Name)
	return h.render(c, http.StatusOK, views.Docs(m))
}

// docTarget is where the API is served: /sandbox/SLUG and /live/SLUG on
// the portal's public URL (the request's own when none is configured).
func (h *Handler) docTarget(c echo.Context, slug string) catalog.DocTarget {
	base := h.gatewayBase()
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return catalog.DocTarget{Sandbox: base + "/sandbox/" + slug, Live: base + "/live/" + slug}
}

// sunsetWords is a deprecated API's sunset date as the pages show it.
func sunsetWords(api store.API) string {
	if api.Status != store.APIDeprecated || api.SunsetAt == nil {
		return ""
	}
	return api.SunsetAt.UTC().Format("2 January 2006")
}
