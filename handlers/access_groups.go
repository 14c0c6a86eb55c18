package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// accessGroupURL is the path of an access group's page, or of one of its
// actions.
func accessGroupURL(id int64, action string) string {
	p := "/access-groups/" + strconv.FormatInt(id, 10)
	if action != "" {
		p += "/" + action
	}
	return p
}

// formatCount writes n with thousands separators: 100,000.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// groupRow is an access group as the pages show it.
func groupRow(g *store.AccessGroup, apis []store.GroupAPI, openGrants int) views.AccessGroupRow {
	r := views.AccessGroupRow{ID: g.ID, Name: g.Name, Description: g.Description, OpenGrants: openGrants,
		RateLimit: formatCount(int64(g.RateLimitPerMinute)) + " requests per minute", Quota: "no quota"}
	if g.MonthlyQuota != nil {
		r.Quota = formatCount(*g.MonthlyQuota) + " requests per month"
	}
	for _, a := range apis {
		r.APIs = append(r.APIs, views.GroupAPIRow{Slug: a.Slug, Name: a.Name, Status: a.Status, Scopes: a.Scopes})
	}
	return r
}

// groupForm is the edit form filled with the group's values.
func groupForm(g *store.AccessGroup) views.AccessGroupForm {
	f := views.AccessGroupForm{Name: g.Name, Description: g.Description, RatePerMinute: strconv.Itoa(g.RateLimitPerMinute)}
	if g.MonthlyQuota != nil {
		f.MonthlyQuota = strconv.FormatInt(*g.MonthlyQuota, 10)
	}
	return f
}

// submittedGroupForm reads the create and edit form and ParseGroupFields
// of it.
func submittedGroupForm(c echo.Context) (views.AccessGroupForm, catalog.GroupFields, error) {
	f := views.AccessGroupForm{Name: c.FormValue("name"), Description: c.FormValue("description"),
		RatePerMinute: c.FormValue("rate_limit_per_minute"), MonthlyQuota: c.FormValue("monthly_quota")}
	fields, err := catalog.ParseGroupFields(f.Name, f.Description, f.RatePerMinute, f.MonthlyQuota)
	return f, fields, err
}

// withFieldError puts a field error of the group fields next to its input.
func withFieldError(f views.AccessGroupForm, in *apierr.FieldError) views.AccessGroupForm {
	switch in.Field {
	case "description":
		f.DescriptionError = in.Message
	case "rate_limit_per_minute":
		f.RateError = in.Message
	case "monthly_quota":
		f.QuotaError = in.Message
	default:
		f.NameError = in.Message
	}
	return f
}

// accessGroups lists the access groups for account managers and platform
// admins, with the create form.
func (h *Handler) accessGroups(c echo.Context) error {
	return h.renderAccessGroups(c, http.StatusOK, views.AccessGroupForm{RatePerMinute: strconv.Itoa(catalog.DefaultRatePerMinute)})
}

func (h *Handler) renderAccessGroups(c echo.Context, status int, form views.AccessGroupForm) error {
	if err := h.authorize(c, access.ManageAccessGroups, 0); err != nil {
		return err
	}
	q, err := pageQuery(c, store.GroupsList, listPageSize, brokenLink("access groups", "Access groups from the menu"))
	if err != nil {
		return err
	}
	gs, more, err := h.store.AccessGroupsPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	m := views.AccessGroupsPage{Page: h.page(c, "Access groups"), Create: form,
		Search: views.ListSearch{Action: "/access-groups", ID: "group-q", Label: "Search access groups by name", Query: q.Search}}
	m.Pager.Label = "Access group pages"
	m.Pager.FirstHref, m.Pager.NextHref = pageLinks(store.GroupsList, q.After, gs, more, "/access-groups", "q", q.Search)
	for i := range gs {
		m.Groups = append(m.Groups, groupRow(&gs[i].AccessGroup, gs[i].APIs, gs[i].OpenGrants))
	}
	return h.render(c, status, views.AccessGroups(m))
}

// createAccessGroup creates a group and opens its page, where APIs are
// included and the group granted.
func (h *Handler) createAccessGroup(c echo.Context) error {
	if err := h.authorize(c, access.ManageAccessGroups, 0); err != nil {
		return err
	}
	form, fields, err := submittedGroupForm(c)
	var g *store.AccessGroup
	if err == nil {
		g, err = h.groups.Create(c.Request().Context(), fields)
	}
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return h.renderAccessGroups(c, http.StatusUnprocessableEntity, withFieldError(form, in))
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, accessGroupURL(g.ID, ""), "success", "Access group "+g.Name+" created. Include APIs, then grant it to partners.")
}

// groupPageState is what a re-rendered group page shows as submitted: a
// form's values and errors.
type groupPageState struct {
	edit *views.AccessGroupForm
	// includeAPI is the slug of the API whose include form failed, with
	// its error and the scopes as checked.
	includeAPI    string
	includeError  string
	includeScopes []string
	grantError    string
}

// accessGroupForStaff authorizes a staff page of the group in the URL and
// returns the group's id.
func (h *Handler) accessGroupForStaff(c echo.Context) (int64, error) {
	if err := h.authorize(c, access.ManageAccessGroups, 0); err != nil {
		return 0, err
	}
	return pathID(c, "id")
}

// groupWithAPIs loads a group and the APIs it includes; an unknown id is
// the 404 page.
func (h *Handler) groupWithAPIs(ctx context.Context, id int64) (*store.AccessGroup, []store.GroupAPI, error) {
	g, err := h.store.AccessGroupByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, NotFound("This access group")
	}
	if err != nil {
		return nil, nil, err
	}
	apis, err := h.store.AccessGroupAPIs(ctx, []int64{g.ID})
	if err != nil {
		return nil, nil, err
	}
	return g, apis, nil
}

// accessGroup shows one group: its APIs and scopes, its grants, and the
// forms that change them.
func (h *Handler) accessGroup(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	return h.renderAccessGroup(c, http.StatusOK, id, groupPageState{})
}

func (h *Handler) renderAccessGroup(c echo.Context, status int, id int64, st groupPageState) error {
	ctx := c.Request().Context()
	g, apis, err := h.groupWithAPIs(ctx, id)
	if err != nil {
		return err
	}
	catalogAPIs, err := h.store.ListAPIScopes(ctx)
	if err != nil {
		return err
	}
	open, err := h.store.OpenGrantCount(ctx, g.ID)
	if err != nil {
		return err
	}
	m := views.AccessGroupPage{Page: h.page(c, g.Name), Edit: groupForm(g)}
	if err := h.groupGrants(c, g.ID, &m); err != nil {
		return err
	}
	if m.Picker, err = h.granteePicker(c, g, st.grantError); err != nil {
		return err
	}
	if st.edit != nil {
		m.Edit = *st.edit
	}
	included := map[int64][]string{}
	for _, a := range apis {
		included[a.APIID] = a.Scopes
	}
	for _, a := range catalogAPIs {
		scopes, in := included[a.ID]
		if a.Status == store.APIRetired && !in {
			continue
		}
		row := views.IncludeAPIRow{Slug: a.Slug, Name: a.Name, Status: a.Status, Included: in}
		checked := scopeSet(scopes)
		if a.Slug == st.includeAPI {
			row.Error, checked = st.includeError, scopeSet(st.includeScopes)
		}
		for _, sc := range a.Scopes {
			row.Scopes = append(row.Scopes, views.ScopeChoice{Name: sc, Checked: checked[sc]})
		}
		m.Include = append(m.Include, row)
	}
	if st.includeError != "" && !slices.ContainsFunc(m.Include, func(r views.IncludeAPIRow) bool { return r.Slug == st.includeAPI }) {
		m.IncludeError = st.includeError
	}
	m.Group = groupRow(g, apis, open)
	return h.render(c, status, views.AccessGroup(m))
}

func scopeSet(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

// updateAccessGroup changes a group's name, description and limits.
func (h *Handler) updateAccessGroup(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	form, fields, err := submittedGroupForm(c)
	var g *store.AccessGroup
	if err == nil {
		g, err = h.groups.Update(c.Request().Context(), id, fields)
	}
	var in *apierr.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This access group")
	case errors.As(err, &in):
		form = withFieldError(form, in)
		return h.renderAccessGroup(c, http.StatusUnprocessableEntity, id, groupPageState{edit: &form})
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, accessGroupURL(g.ID, ""), "success", "Access group "+g.Name+" saved; its limits apply to every grant at once.")
}

// includeAPI includes an API in a group with the checked scopes, or
// changes the scopes it includes.
func (h *Handler) includeAPI(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	slug := c.FormValue("api")
	form, err := c.FormParams()
	if err != nil {
		return BadRequest("The form could not be read.")
	}
	scopes := form["scope"]
	api, err := h.store.APIBySlug(ctx, slug)
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This API")
	}
	if err != nil {
		return err
	}
	g, _, err := h.groups.IncludeAPI(ctx, id, api.ID, scopes)
	var in *apierr.FieldError
	switch {
	case errors.As(err, &in):
		return h.renderAccessGroup(c, http.StatusUnprocessableEntity, id, groupPageState{includeAPI: api.Slug, includeError: in.Message, includeScopes: scopes})
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This access group")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, accessGroupURL(g.ID, ""), "success", g.Name+" now includes "+api.Name+" with "+joinScopes(scopes)+".")
}

// joinScopes lists the distinct chosen scopes.
func joinScopes(scopes []string) string {
	seen := map[string]bool{}
	out := ""
	for _, sc := range scopes {
		if sc == "" || seen[sc] {
			continue
		}
		seen[sc] = true
		if out != "" {
			out += ", "
		}
		out += sc
	}
	return out
}

// removeGroupAPI takes an API out of a group.
func (h *Handler) removeGroupAPI(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	api, err := h.store.APIBySlug(ctx, c.Param("api"))
	if errors.Is(err, store.ErrNotFound) {
		return NotFound("This API")
	}
	if err != nil {
		return err
	}
	g, _, err := h.groups.RemoveAPI(ctx, id, api.ID)
	switch {
	case errors.Is(err, catalog.ErrNotIncluded):
		return h.redirectWithFlash(c, accessGroupURL(g.ID, ""), "info", g.Name+" does not include "+api.Name+".")
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This access group")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, accessGroupURL(g.ID, ""), "success", api.Name+" removed from "+g.Name+": its holders lost it at once.")
}
