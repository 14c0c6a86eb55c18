package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
)

// Access groups are the provider's, like the catalog: only staff read and
// change them (access.ManageAccessGroups, which no token scope carries, so
// staff use these operations through their portal session). Every change
// goes through catalog.Groups, which audits it in its transaction.

const groupNotFound = "This access group"

// groupAPI is an API an access group includes, with the scopes it gives
// (schema AccessGroupApi).
type groupAPI struct {
	Slug   string   `json:"slug"`
	Name   string   `json:"name"`
	Status string   `json:"status"`
	Scopes []string `json:"scopes"`
}

// grantedGroup is an access group as its holders see it: what it gives
// and its limits (schema GrantedGroup).
type grantedGroup struct {
	ID                 int64      `json:"id"`
	Name               string     `json:"name"`
	Description        string     `json:"description"`
	RateLimitPerMinute int        `json:"rate_limit_per_minute"`
	MonthlyQuota       *int64     `json:"monthly_quota"`
	APIs               []groupAPI `json:"apis"`
}

// accessGroup is an access group as staff see it: with how many grants of
// it are open (schema AccessGroup).
type accessGroup struct {
	grantedGroup
	OpenGrants int `json:"open_grants"`
}

func groupOf(g *store.AccessGroup, apis []store.GroupAPI) grantedGroup {
	out := grantedGroup{ID: g.ID, Name: g.Name, Description: g.Description, RateLimitPerMinute: g.RateLimitPerMinute,
		MonthlyQuota: g.MonthlyQuota, APIs: make([]groupAPI, 0, len(apis))}
	for _, a := range apis {
		out.APIs = append(out.APIs, groupAPI{Slug: a.Slug, Name: a.Name, Status: a.Status, Scopes: strs(a.Scopes)})
	}
	return out
}

// groups is the access group service over the API's store.
func (a *API) groups() *catalog.Groups { return catalog.NewGroups(a.Store) }

// groupError maps the access group service's errors: a FieldError is
// invalid_input naming its field, store.ErrNotFound a 404 of what.
func groupError(err error, what string) error {
	var in *apierr.FieldError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &in):
		return invalidInput(in.Field, in.Message)
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " was not found.", Err: err}
	}
	return err
}

// staffGroupID authorizes an access group operation (staff only: partner
// users get 403 whatever the id) and reads the group's id from the path.
func (a *API) staffGroupID(c echo.Context) (access.Actor, int64, error) {
	actor, _, err := a.authorize(c, access.ManageAccessGroups)
	if err != nil {
		return actor, 0, err
	}
	id, err := pathID(c, "id", groupNotFound)
	return actor, id, err
}

// loadGroup reads one access group with its APIs and its number of open
// grants.
func (a *API) loadGroup(ctx context.Context, q *store.Store, id int64) (accessGroup, error) {
	g, err := q.AccessGroupByID(ctx, id)
	if err != nil {
		return accessGroup{}, groupError(err, groupNotFound)
	}
	apis, err := q.AccessGroupAPIs(ctx, []int64{g.ID})
	if err != nil {
		return accessGroup{}, err
	}
	n, err := q.OpenGrantCount(ctx, g.ID)
	if err != nil {
		return accessGroup{}, err
	}
	return accessGroup{grantedGroup: groupOf(g, apis), OpenGrants: n}, nil
}

// listAccessGroups lists the access groups by name, a page at a time from
// the database (q searches the name), with their APIs and scopes, their
// limits and their number of open grants.
func (a *API) listAccessGroups(c echo.Context) error {
	if _, _, err := a.authorize(c, access.ManageAccessGroups); err != nil {
		return err
	}
	q, err := keysetQuery(c, store.GroupsList)
	if err != nil {
		return err
	}
	gs, more, err := a.Store.AccessGroupsPage(c.Request().Context(), q)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, keysetList(store.GroupsList, gs, more, func(g *store.AccessGroupSummary) accessGroup {
		return accessGroup{grantedGroup: groupOf(&g.AccessGroup, g.APIs), OpenGrants: g.OpenGrants}
	}))
}

// groupInput is the body of POST /access-groups and PATCH
// /access-groups/{id}. A field left out is the default on creation and
// unchanged on an edit; monthly_quota null is no quota, which is why it
// is read raw: null and absent differ.
type groupInput struct {
	Name               *string         `json:"name"`
	Description        *string         `json:"description"`
	RateLimitPerMinute *int            `json:"rate_limit_per_minute"`
	MonthlyQuota       json.RawMessage `json:"monthly_quota"`
}

// quotaMessage is the API's wording of a bad monthly_quota (the domain's
// speaks of a form field left blank).
var quotaMessage = fmt.Sprintf("must be a whole number from 1 to %d, or null for no monthly quota.", catalog.MaxMonthlyQuota)

// apply puts the fields the body sets over f.
func (in *groupInput) apply(f catalog.GroupFields) (catalog.GroupFields, error) {
	if in.Name != nil {
		f.Name = *in.Name
	}
	if in.Description != nil {
		f.Description = *in.Description
	}
	if in.RateLimitPerMinute != nil {
		f.RatePerMinute = *in.RateLimitPerMinute
	}
	if len(in.MonthlyQuota) > 0 {
		if string(in.MonthlyQuota) == "null" {
			f.MonthlyQuota = nil
		} else {
			var q int64
			if err := json.Unmarshal(in.MonthlyQuota, &q); err != nil {
				return f, invalidInput("monthly_quota", quotaMessage)
			}
			f.MonthlyQuota = &q
		}
	}
	return f, nil
}

// groupFieldsError is groupError for the group's own fields, with the
// API's wording for the quota.
func groupFieldsError(err error) error {
	var in *apierr.FieldError
	if errors.As(err, &in) && in.Field == "monthly_quota" {
		return invalidInput(in.Field, quotaMessage)
	}
	return groupError(err, groupNotFound)
}

// createAccessGroup creates an access group with no APIs yet.
func (a *API) createAccessGroup(c echo.Context) error {
	if _, _, err := a.authorize(c, access.ManageAccessGroups); err != nil {
		return err
	}
	var in groupInput
	if err := decode(c, &in); err != nil {
		return err
	}
	f, err := in.apply(catalog.GroupFields{RatePerMinute: catalog.DefaultRatePerMinute})
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	g, err := a.groups().Create(ctx, f)
	if err != nil {
		return groupFieldsError(err)
	}
	out, err := a.loadGroup(ctx, a.Store, g.ID)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/access-groups/%d", g.ID))
	return c.JSON(http.StatusCreated, out)
}

// getAccessGroup shows one access group.
func (a *API) getAccessGroup(c echo.Context) error {
	_, id, err := a.staffGroupID(c)
	if err != nil {
		return err
	}
	out, err := a.loadGroup(c.Request().Context(), a.Store, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// updateAccessGroup changes the fields the body sets; new limits apply to
// every grant of the group at once. The group is read and changed in one
// transaction, so two edits of different fields cannot undo each other.
func (a *API) updateAccessGroup(c echo.Context) error {
	_, id, err := a.staffGroupID(c)
	if err != nil {
		return err
	}
	var in groupInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	var out accessGroup
	err = a.Store.InTx(ctx, func(tx *store.Store) error {
		cur, err := tx.LockAccessGroup(ctx, id, true)
		if err != nil {
			return groupError(err, groupNotFound)
		}
		f, err := in.apply(catalog.GroupFields{Name: cur.Name, Description: cur.Description,
			RatePerMinute: cur.RateLimitPerMinute, MonthlyQuota: cur.MonthlyQuota})
		if err != nil {
			return err
		}
		if _, err := catalog.NewGroups(tx).Update(ctx, id, f); err != nil {
			return groupFieldsError(err)
		}
		out, err = a.loadGroup(ctx, tx, id)
		return err
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// deleteAccessGroup deletes a group nobody holds; while grants of it are
// open it is refused with the partners that hold them (to an account
// manager, those of other books by number only).
func (a *API) deleteAccessGroup(c echo.Context) error {
	actor, id, err := a.staffGroupID(c)
	if err != nil {
		return err
	}
	_, err = a.groups().Delete(c.Request().Context(), actor, id)
	var in *apierr.FieldError
	if errors.As(err, &in) {
		return &Error{Status: http.StatusConflict, Code: "still_granted", Message: in.Message, Err: err}
	}
	if err != nil {
		return groupError(err, groupNotFound)
	}
	return c.NoContent(http.StatusNoContent)
}

// groupAPIInput is the body of PUT /access-groups/{id}/apis/{slug}.
type groupAPIInput struct {
	Scopes []string `json:"scopes"`
}

// groupAndAPI authorizes a change to the APIs of a group and reads the
// group's id and the API of the path.
func (a *API) groupAndAPI(c echo.Context) (int64, *store.API, error) {
	_, id, err := a.staffGroupID(c)
	if err != nil {
		return 0, nil, err
	}
	api, err := a.Store.APIBySlug(c.Request().Context(), c.Param("slug"))
	if err != nil {
		return 0, nil, groupError(err, apiNotFound)
	}
	return id, api, nil
}

// includeGroupAPI includes an API in a group with the chosen scopes, or
// replaces the scopes it includes; holders get the change at once.
func (a *API) includeGroupAPI(c echo.Context) error {
	id, api, err := a.groupAndAPI(c)
	if err != nil {
		return err
	}
	var in groupAPIInput
	if err := decode(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	_, _, err = a.groups().IncludeAPI(ctx, id, api.ID, in.Scopes)
	var refused *apierr.FieldError
	if errors.As(err, &refused) && refused.Field == "api" {
		return invalidInput("slug", refused.Message) // the API is named by the path
	}
	if err != nil {
		return groupError(err, groupNotFound)
	}
	out, err := a.loadGroup(ctx, a.Store, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// removeGroupAPI takes an API out of a group; holders lose its scopes at
// once. An API the group does not include is a 404.
func (a *API) removeGroupAPI(c echo.Context) error {
	id, api, err := a.groupAndAPI(c)
	if err != nil {
		return err
	}
	_, _, err = a.groups().RemoveAPI(c.Request().Context(), id, api.ID)
	if errors.Is(err, catalog.ErrNotIncluded) {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "The access group does not include " + api.Name + ".", Err: err}
	}
	if err != nil {
		return groupError(err, groupNotFound)
	}
	return c.NoContent(http.StatusNoContent)
}
