package handlers

import (
	"context"
	"strconv"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// partnerFilter is the directory's filter: an account manager's list is
// their book, whatever the request says; a platform admin may narrow to
// one account manager's book ("<id>") or to the partners with none
// ("none").
func partnerFilter(a access.Actor, status, manager string) (store.PartnerFilter, error) {
	f := store.PartnerFilter{Status: status, Manager: a.Book()}
	if f.Manager != 0 || manager == "" {
		return f, nil
	}
	if manager == "none" {
		f.Unmanaged = true
		return f, nil
	}
	id, err := strconv.ParseInt(manager, 10, 64)
	if err != nil || id <= 0 {
		return f, BadRequest("Choose the account manager from the list.")
	}
	f.Manager = id
	return f, nil
}

// managerChoices fills the directory's account manager choices: the filter
// and the count of partners needing one for platform admins, the create
// form's list for whoever may create partners (an account manager's own
// name first chosen: a partner they create is theirs unless they say).
func (h *Handler) managerChoices(ctx context.Context, a access.Actor, m *views.PartnersPage) error {
	if !m.CanManage && m.Book {
		return nil
	}
	ams, err := h.store.AccountManagers(ctx)
	if err != nil {
		return err
	}
	chosen := m.Create.Manager
	if chosen == "" && a.Role == access.RoleAccountManager {
		chosen = strconv.FormatInt(a.UserID, 10)
	}
	for _, u := range ams {
		id := strconv.FormatInt(u.ID, 10)
		m.Managers = append(m.Managers, views.ManagerOption{ID: u.ID, Label: u.Name, Selected: id == m.Manager})
		m.Create.Choices = append(m.Create.Choices, views.ManagerOption{ID: u.ID, Label: u.Name + " (" + u.Email + ")", Selected: id == chosen})
	}
	if m.Book {
		m.Managers = nil // an account manager's directory is their book
		return nil
	}
	m.Unmanaged, err = h.store.UnmanagedPartners(ctx)
	return err
}
