package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/apierr"
	"github.com/portico/portico/internal/catalog"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// confirmDeleteAccessGroup asks before deleting a group, or lists the
// partners that still hold it (by name those the viewer manages, by number
// the others).
func (h *Handler) confirmDeleteAccessGroup(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	return h.renderDeleteAccessGroup(c, http.StatusOK, id)
}

func (h *Handler) renderDeleteAccessGroup(c echo.Context, status int, id int64) error {
	ctx := c.Request().Context()
	g, apis, err := h.groupWithAPIs(ctx, id)
	if err != nil {
		return err
	}
	partners, others, err := h.store.OpenGrantPartners(ctx, g.ID, actorOf(currentUser(c)).Book())
	if err != nil {
		return err
	}
	m := views.DeleteAccessGroupPage{Page: h.page(c, "Delete "+g.Name), Group: groupRow(g, apis, 0), Partners: partners}
	if len(partners) > 0 || others > 0 {
		m.Refusal = catalog.DeleteRefusal(g.Name, partners, others).Message
	}
	return h.render(c, status, views.DeleteAccessGroup(m))
}

// deleteAccessGroup deletes a group nobody holds.
func (h *Handler) deleteAccessGroup(c echo.Context) error {
	id, err := h.accessGroupForStaff(c)
	if err != nil {
		return err
	}
	g, err := h.groups.Delete(c.Request().Context(), actorOf(currentUser(c)), id)
	var in *apierr.FieldError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This access group")
	case errors.As(err, &in):
		return h.renderDeleteAccessGroup(c, http.StatusConflict, id)
	case err != nil:
		return err
	}
	return h.redirectWithFlash(c, "/access-groups", "success", "Access group "+g.Name+" deleted.")
}
