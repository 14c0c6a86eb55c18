package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
)

// actorOf is the policy's view of a user.
func actorOf(u *store.User) access.Actor {
	a := access.Actor{UserID: u.ID, Role: u.Role, Managed: u.Managed}
	if u.PartnerID != nil {
		a.PartnerID = *u.PartnerID
	}
	return a
}

// signedIn sends signed-out visitors of a page to the sign-in form, with a
// way back to where they were going.
func (h *Handler) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			r := c.Request()
			if r.Method != http.MethodGet {
				return &Error{Status: http.StatusUnauthorized, Message: "Your session has ended. Please sign in again."}
			}
			return c.Redirect(http.StatusSeeOther, "/sign-in?next="+url.QueryEscape(r.URL.RequestURI()))
		}
		return next(c)
	}
}

// authorize asks the policy whether the signed-in user may perform act on
// a resource of partnerID: a resource of a partner the user may not see at
// all is a 404, indistinguishable from one that does not exist.
func (h *Handler) authorize(c echo.Context, act access.Action, partnerID int64) error {
	u := currentUser(c)
	if u == nil {
		return &Error{Status: http.StatusUnauthorized, Message: "Please sign in to continue."}
	}
	switch access.Can(actorOf(u), act, partnerID) {
	case access.Allow:
		return nil
	case access.Hidden:
		return NotFound("This page")
	default:
		return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: "Your role does not allow this. Ask your organisation's portal admin."}
	}
}

// ownPartnerID is the signed-in partner user's partner: partner pages never
// take the partner from the URL or a form.
func ownPartnerID(c echo.Context) int64 {
	if u := currentUser(c); u != nil && u.PartnerID != nil {
		return *u.PartnerID
	}
	return 0
}
