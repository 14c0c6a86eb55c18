package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/store"
)

// groupMapping maps a group of the provider's groups claim to a team or
// to the partner-admin role (schema GroupMapping).
type groupMapping struct {
	ID        int64       `json:"id"`
	Group     string      `json:"group"`
	Team      *mappedTeam `json:"team"`
	Role      *string     `json:"role"`
	CreatedAt time.Time   `json:"created_at"`
}

// mappedTeam is the team a mapping gives.
type mappedTeam struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func groupMappingOf(m *store.GroupMapping) groupMapping {
	out := groupMapping{ID: m.ID, Group: m.Group, Role: m.Role, CreatedAt: utc(m.CreatedAt)}
	if m.TeamID != nil {
		out.Team = &mappedTeam{ID: *m.TeamID}
		if m.TeamName != nil {
			out.Team.Name = *m.TeamName
		}
	}
	return out
}

// groupMappingInput is the body of POST (schema GroupMappingInput): a
// team_id or the role, not both.
type groupMappingInput struct {
	Group  string  `json:"group"`
	TeamID *int64  `json:"team_id"`
	Role   *string `json:"role"`
}

// listGroupMappings lists the mappings of the partner's provider (every
// one: a provider holds at most sso.MaxMappings), by group.
func (a *API) listGroupMappings(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewPartnerSSO)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	p, err := a.SSO.Current(ctx, &partnerID)
	if err != nil {
		return err
	}
	if p == nil {
		return notFound("This partner's identity provider")
	}
	ms, err := a.SSO.Mappings(ctx, p)
	if err != nil {
		return err
	}
	out := list[groupMapping]{Items: make([]groupMapping, 0, len(ms))}
	for i := range ms {
		out.Items = append(out.Items, groupMappingOf(&ms[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// createGroupMapping maps a group of the partner's provider.
func (a *API) createGroupMapping(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageSSOMappings)
	if err != nil {
		return err
	}
	var in groupMappingInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.Role != nil {
		if err := a.requireRecentAuth(c, "Mapping a group to the partner admin role"); err != nil {
			return err
		}
	}
	m, err := a.SSO.AddMapping(c.Request().Context(), partnerID, in.Group, in.TeamID, in.Role)
	var fe *apierr.FieldError
	if errors.As(err, &fe) && fe.Field == "team" {
		// The page's select is one field; the API's are two.
		return invalidInput("team_id", fe.Message)
	}
	if err != nil {
		return ssoError(err, "This partner's identity provider")
	}
	c.Response().Header().Set(echo.HeaderLocation, c.Path()+"/"+strconv.FormatInt(m.ID, 10))
	return c.JSON(http.StatusCreated, groupMappingOf(m))
}

// deleteGroupMapping removes a mapping of the partner's provider.
func (a *API) deleteGroupMapping(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ManageSSOMappings)
	if err != nil {
		return err
	}
	id, err := pathID(c, "id", "This mapping")
	if err != nil {
		return err
	}
	if _, err := a.SSO.RemoveMapping(c.Request().Context(), partnerID, id); err != nil {
		return ssoError(err, "This mapping")
	}
	return c.NoContent(http.StatusNoContent)
}
