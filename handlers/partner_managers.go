package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/people"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// managersPath is the address of a partner's account managers.
func managersPath(partnerID int64) string {
	return views.PartnerPagePath(partnerID) + "/managers"
}

// partnerManagersView is the partner page's account managers section:
// who manages the partner and, for who may change that, the account
// managers who could be added.
func (h *Handler) partnerManagersView(ctx context.Context, a access.Actor, p *store.Partner) (views.PartnerManagers, error) {
	// An ended partnership keeps who managed it, for the record; there is
	// nothing left to hand over.
	v := views.PartnerManagers{Partner: p.Name, Action: managersPath(p.ID),
		CanChange: access.Can(a, access.AssignManagers, p.ID) == access.Allow && p.Status != store.PartnerEnded}
	ms, err := h.store.PartnerManagers(ctx, p.ID)
	if err != nil {
		return v, err
	}
	assigned := map[int64]bool{}
	for _, m := range ms {
		assigned[m.UserID] = true
	}
	for _, m := range ms {
		r := views.PartnerManagerRow{Name: m.Name, Email: m.Email, Since: m.AssignedAt.UTC().Format("2 Jan 2006"), You: m.UserID == a.UserID}
		if v.CanChange && mayRemove(a, m.UserID, len(ms)) {
			r.RemoveHref = managersPath(p.ID) + "/" + strconv.FormatInt(m.UserID, 10) + "/remove"
		}
		v.Rows = append(v.Rows, r)
	}
	// An account manager hands the partner over (or shares it); leaving it
	// with nobody is a platform admin's call.
	v.Handover = a.Role == access.RoleAccountManager && assigned[a.UserID]
	if !v.CanChange {
		return v, nil
	}
	all, err := h.store.AccountManagers(ctx)
	if err != nil {
		return v, err
	}
	for _, u := range all {
		if !assigned[u.ID] {
			v.Candidates = append(v.Candidates, views.ManagerOption{ID: u.ID, Label: u.Name + " (" + u.Email + ")"})
		}
	}
	return v, nil
}

// addPartnerManager makes an account manager one of the partner's; with
// handover, the account manager asking stops being one in the same
// transaction.
func (h *Handler) addPartnerManager(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.authorize(c, access.AssignManagers, id); err != nil {
		return err
	}
	a := actorOf(currentUser(c))
	add, err := strconv.ParseInt(c.FormValue("user_id"), 10, 64)
	if err != nil || add <= 0 {
		return h.redirectWithFlash(c, views.PartnerPagePath(id)+"#managers", views.FlashError, "Choose the account manager from the list.")
	}
	var remove int64
	if c.FormValue("handover") != "" {
		if a.Role != access.RoleAccountManager {
			return BadRequest("Only an account manager of this partner hands it over; add or remove account managers instead.")
		}
		if add == a.UserID {
			return h.redirectWithFlash(c, views.PartnerPagePath(id)+"#managers", views.FlashError, "Choose another account manager to hand the partner over to.")
		}
		remove = a.UserID
	}
	p, err := h.people.ChangeManagers(c.Request().Context(), a, id, add, remove)
	switch {
	case errors.Is(err, store.ErrNotFound) && p != nil:
		return h.redirectWithFlash(c, views.PartnerPagePath(id)+"#managers", views.FlashError, "Choose the account manager from the list: that person is not an active account manager.")
	case errors.Is(err, store.ErrNotFound):
		return NotFound("This partner")
	case errors.Is(err, people.ErrPartnerEnded):
		return endedPartner(p)
	case err != nil:
		return err
	}
	u, err := h.store.UserByID(c.Request().Context(), add)
	if err != nil {
		return err
	}
	if remove != 0 {
		return h.redirectWithFlash(c, "/partners", views.FlashSuccess, p.Name+" is now managed by "+u.Name+"; you no longer manage it.")
	}
	return h.redirectWithFlash(c, views.PartnerPagePath(id)+"#managers", views.FlashSuccess, u.Name+" now manages "+p.Name+".")
}

// mayRemove says whether a may take the account manager userID off a
// partner that has n of them: a platform admin anyone; an account manager
// only themselves, and not as the last one (they hand it over instead).
// Taking a colleague off is the platform admin's call: the issue lets an
// account manager hand over, not push out.
func mayRemove(a access.Actor, userID int64, n int) bool {
	switch a.Role {
	case access.RoleAdmin:
		return true
	case access.RoleAccountManager:
		return userID == a.UserID && n > 1
	}
	return false
}

// managerTarget reads and authorises the partner and the account manager
// of a remove: both must exist, and an account manager may take off only
// themselves. A person who does not manage the partner (a stale link) is
// answered here, with a nil manager.
func (h *Handler) managerTarget(c echo.Context) (*store.Partner, *store.PartnerManager, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	if err := h.authorize(c, access.AssignManagers, id); err != nil {
		return nil, nil, err
	}
	uid, err := pathID(c, "user")
	if err != nil {
		return nil, nil, err
	}
	ctx := c.Request().Context()
	p, err := h.partnerOr404(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if p.Status == store.PartnerEnded {
		return nil, nil, endedPartner(p)
	}
	ms, err := h.store.PartnerManagers(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for i := range ms {
		if ms[i].UserID != uid {
			continue
		}
		if a := actorOf(currentUser(c)); a.Role == access.RoleAccountManager && uid != a.UserID {
			return nil, nil, colleagueRemoval()
		}
		return p, &ms[i], nil
	}
	// A stale link: the page says so and the request is answered.
	return p, nil, h.redirectWithFlash(c, views.PartnerPagePath(p.ID)+"#managers", views.FlashInfo, "That person does not manage "+p.Name+".")
}

// confirmRemovePartnerManager asks before an account manager stops
// managing the partner: they lose sight of it at once.
func (h *Handler) confirmRemovePartnerManager(c echo.Context) error {
	p, m, err := h.managerTarget(c)
	if err != nil || m == nil {
		return err
	}
	a, back := actorOf(currentUser(c)), views.PartnerPagePath(p.ID)+"#managers"
	who, effect := m.Name, m.Name+" no longer sees "+p.Name+" in their partners, its usage, audit trail and alerts, and can no longer act on it."
	if m.UserID == a.UserID {
		who, effect = "yourself", "You no longer see "+p.Name+" in your partners, its usage, audit trail and alerts, and can no longer act on it."
	}
	return h.renderConfirm(c, views.ConfirmPage{
		Page:    h.page(c, "Remove an account manager of "+p.Name),
		Heading: "Remove " + who + " from the account managers of " + p.Name + "?",
		Effects: []string{effect, "Nothing of the partner changes: its people, grants and credentials stay as they are."},
		Action:  managersPath(p.ID) + "/" + strconv.FormatInt(m.UserID, 10) + "/remove",
		Submit:  "Remove " + m.Name, Back: back, Keep: "Keep " + m.Name, TestID: "confirm-remove-manager",
	})
}

// removePartnerManager takes an account manager off the partner. An
// account manager cannot leave it with none; a platform admin can, and
// the directory then lists it as needing one.
func (h *Handler) removePartnerManager(c echo.Context) error {
	p, m, err := h.managerTarget(c)
	if err != nil || m == nil {
		return err
	}
	a, back := actorOf(currentUser(c)), views.PartnerPagePath(p.ID)+"#managers"
	_, err = h.people.ChangeManagers(c.Request().Context(), a, p.ID, 0, m.UserID)
	if errors.Is(err, people.ErrPartnerEnded) {
		return endedPartner(p)
	}
	if errors.Is(err, people.ErrLastManager) {
		return h.redirectWithFlash(c, back, views.FlashError, m.Name+" is "+p.Name+"'s only account manager: hand it over to another one instead, or ask a platform admin.")
	}
	if err != nil {
		return err
	}
	if m.UserID == a.UserID && a.Role == access.RoleAccountManager {
		return h.redirectWithFlash(c, "/partners", views.FlashSuccess, "You no longer manage "+p.Name+".")
	}
	msg := m.Name + " no longer manages " + p.Name + "."
	if ms, err := h.store.PartnerManagers(c.Request().Context(), p.ID); err == nil && len(ms) == 0 {
		msg += " It has no account manager now: assign one below."
	}
	return h.redirectWithFlash(c, back, views.FlashSuccess, msg)
}

func endedPartner(p *store.Partner) error { return partnerEnded(p.Name, "its account managers") }

// partnerEnded refuses a change to what an ended partnership keeps on
// record (what, e.g. "its settings").
func partnerEnded(name, what string) error {
	return &Error{Status: http.StatusConflict, Code: "partner_ended",
		Message: "The partnership with " + name + " has ended: " + what + " stay on record and cannot be changed."}
}

func colleagueRemoval() error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden",
		Message: "Only a platform admin takes another account manager off a partner. You can hand the partner over, or leave it while others manage it."}
}
