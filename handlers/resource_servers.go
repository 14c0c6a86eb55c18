package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/oauth"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/token"
	"github.com/portico/portico/views"
)

// resourceServers lists the resource server credentials (platform admins).
func (h *Handler) resourceServers(c echo.Context) error {
	if err := h.authorize(c, access.ManageResourceServers, 0); err != nil {
		return err
	}
	return h.renderResourceServers(c, http.StatusOK, "", "")
}

// renderResourceServers shows the open credentials (at most
// store.MaxResourceServers) and a page of the revoked ones, which the
// URL's after parameter moves through.
func (h *Handler) renderResourceServers(c echo.Context, status int, name, msg string) error {
	ctx := c.Request().Context()
	q, err := pageQuery(c, store.RevokedResourceServersList, listPageSize,
		brokenLink("revoked credentials", "Resource servers from the portal settings"))
	if err != nil {
		return err
	}
	open, err := h.store.ResourceServers(ctx)
	if err != nil {
		return err
	}
	revoked, more, err := h.store.RevokedResourceServers(ctx, q.After, q.Limit)
	if err != nil {
		return err
	}
	m := views.ResourceServersPage{Page: h.page(c, "Resource servers"), Name: name, NameError: msg,
		IntrospectURL: h.gatewayBase() + "/oauth/introspect"}
	for _, rs := range [][]store.ResourceServer{open, revoked} {
		for i := range rs {
			m.Servers = append(m.Servers, resourceServerRow(&rs[i]))
		}
	}
	m.Pager = views.ListPager{Label: "Pages of revoked credentials", TestID: "revoked-pager",
		First: "Newest revoked", Next: "Older revoked", Anchor: "#servers-heading"}
	if q.After != nil {
		m.Pager.FirstHref = "/resource-servers"
	}
	if more {
		m.Pager.NextHref = "/resource-servers?after=" + store.RevokedResourceServerCursor(revoked[len(revoked)-1])
	}
	return h.render(c, status, views.ResourceServers(m))
}

func resourceServerRow(r *store.ResourceServer) views.ResourceServerRow {
	row := views.ResourceServerRow{ID: r.ID, Name: r.Name, ClientID: r.ClientID, Hint: r.Hint,
		Created: formatTime(r.CreatedAt), CreatedBy: r.CreatorName}
	if r.LastUsedAt != nil {
		row.LastUsed = formatTime(*r.LastUsedAt)
	}
	if r.RevokedAt != nil {
		row.Revoked = formatTime(*r.RevokedAt)
	}
	return row
}

// createResourceServer issues a credential and shows its secret in this
// response only.
func (h *Handler) createResourceServer(c echo.Context) error {
	if err := h.authorize(c, access.ManageResourceServers, 0); err != nil {
		return err
	}
	name := c.FormValue("name")
	issued, err := oauth.CreateResourceServer(c.Request().Context(), h.store, token.NewHasher(h.cfg.Secret), currentUser(c).ID, name)
	var fail *apierr.FieldError
	if errors.As(err, &fail) {
		if len(name) > 200 {
			name = name[:200]
		}
		return h.renderResourceServers(c, http.StatusUnprocessableEntity, name, fail.Message)
	}
	if err != nil {
		return err
	}
	introspect := h.gatewayBase() + "/oauth/introspect"
	hd := c.Response().Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("Pragma", "no-cache")
	return h.render(c, http.StatusOK, views.ResourceServerCreated(views.ResourceServerCreatedPage{
		Page: h.page(c, "New resource server credential"), Name: issued.Name, ClientID: issued.ClientID,
		Secret: issued.Secret, Hint: issued.Hint,
		Curl: "curl -u \"" + issued.ClientID + ":$PORTICO_SERVER_SECRET\" \\\n  -d token=\"$ACCESS_TOKEN\" \\\n  " + introspect,
	}))
}

// resourceServerFor loads the credential in the URL for a platform admin.
func (h *Handler) resourceServerFor(c echo.Context) (*store.ResourceServer, error) {
	if err := h.authorize(c, access.ManageResourceServers, 0); err != nil {
		return nil, err
	}
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	rs, err := h.store.ResourceServerByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, NotFound("This resource server credential")
	}
	return rs, err
}

// confirmRevokeResourceServer asks before revoking a credential.
func (h *Handler) confirmRevokeResourceServer(c echo.Context) error {
	rs, err := h.resourceServerFor(c)
	if err != nil {
		return err
	}
	if rs.RevokedAt != nil {
		return h.redirectWithFlash(c, "/resource-servers", "info", "“"+rs.Name+"” was already revoked.")
	}
	return h.render(c, http.StatusOK, views.RevokeResourceServer(views.RevokeResourceServerPage{
		Page: h.page(c, "Revoke "+rs.Name), Server: resourceServerRow(rs),
	}))
}

// revokeResourceServer revokes a credential at once, audited.
func (h *Handler) revokeResourceServer(c echo.Context) error {
	rs, err := h.resourceServerFor(c)
	if err != nil {
		return err
	}
	_, err = oauth.RevokeResourceServer(c.Request().Context(), h.store, rs.ID, currentUser(c).ID)
	switch {
	case errors.Is(err, oauth.ErrServerRevoked):
		return h.redirectWithFlash(c, "/resource-servers", "info", "“"+rs.Name+"” was already revoked.")
	case errors.Is(err, oauth.ErrServerNotFound):
		return NotFound("This resource server credential")
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, "/resource-servers", "success",
		"“"+rs.Name+"” ("+rs.ClientID+") was revoked: it can no longer introspect or revoke tokens.")
}
