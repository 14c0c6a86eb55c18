package api

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
)

// hygieneJSON is one credential in the hygiene report.
type hygieneJSON struct {
	ID          int64      `json:"id"`
	Name        string     `json:"name"`
	Hint        string     `json:"hint"`
	Type        string     `json:"type"`
	Environment string     `json:"environment"`
	OwnerEmail  string     `json:"owner_email"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	LastUsedAt  *time.Time `json:"last_used_at"`
	Flags       []string   `json:"flags"`
	UsedScopes  []string   `json:"used_scopes"`
	Unused      []string   `json:"unused_scopes"`
	NotGranted  []string   `json:"not_granted_scopes"`
}

// hygieneReport is a page of the report with the partner's counts.
type hygieneReport struct {
	Total      int           `json:"total"`
	Attention  int           `json:"attention"`
	Items      []hygieneJSON `json:"items"`
	NextCursor *string       `json:"next_cursor"`
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// tokenHygiene is the caller's partner's credential hygiene report: the
// credentials that need attention, or all with show=all (partner admins).
func (a *API) tokenHygiene(c echo.Context) error {
	_, partnerID, err := a.authorize(c, access.ViewPartnerTokens)
	if err != nil {
		return err
	}
	q, err := keysetQueryOf(c, store.HygieneList.Parse, false)
	if err != nil {
		return err
	}
	show := c.QueryParam("show")
	if show != "" && show != "attention" && show != "all" {
		return badRequest("show must be attention or all.")
	}
	ctx := c.Request().Context()
	total, attention, err := a.Store.HygieneCounts(ctx, partnerID)
	if err != nil {
		return err
	}
	page, err := a.Hygiene.Page(ctx, partnerID, show != "all", q.After, q.Limit)
	if err != nil {
		return err
	}
	out := hygieneReport{Total: total, Attention: attention, Items: make([]hygieneJSON, 0, len(page.Credentials))}
	for _, cr := range page.Credentials {
		t := cr.Token
		j := hygieneJSON{ID: t.ID, Name: t.Name, Hint: t.Hint, Type: typePAT, Environment: t.Environment, OwnerEmail: t.OwnerEmail,
			CreatedAt: utc(t.CreatedAt), ExpiresAt: utc(t.ExpiresAt), Flags: []string{},
			UsedScopes: orEmpty(cr.Used), Unused: orEmpty(cr.Unused), NotGranted: orEmpty(cr.NotGranted)}
		if t.IsClient() {
			j.Type = typeClient
		}
		if t.LastUsedAt != nil {
			u := utc(*t.LastUsedAt)
			j.LastUsedAt = &u
		}
		for _, f := range cr.Flags {
			j.Flags = append(j.Flags, string(f))
		}
		out.Items = append(out.Items, j)
	}
	if page.More {
		next := store.HygieneList.Cursor(page.Credentials[len(page.Credentials)-1].Token.Key())
		out.NextCursor = &next
	}
	return c.JSON(http.StatusOK, out)
}
