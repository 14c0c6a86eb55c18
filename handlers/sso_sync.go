package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/sso"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/views"
)

// ssoSyncPath runs a partner admin's "sync now".
const ssoSyncPath = "/sso/sync"

// offlineLookup bounds asking the provider, while a page renders, whether
// it issues refresh tokens (its discovery document, cached afterwards).
const offlineLookup = 3 * time.Second

// ssoSyncPanel is the "sync now" part of the single sign-on page for the
// partner's provider p.
func (h *Handler) ssoSyncPanel(c echo.Context, p *store.IdentityProvider) templ.Component {
	m := views.SSOSyncPanel{Provider: p.DisplayName,
		CanSync: access.Can(actorOf(currentUser(c)), access.ManageSSOMappings, ownPartnerID(c)) == access.Allow}
	if p.LastSyncAt != nil {
		m.LastSync = formatTime(*p.LastSyncAt)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), offlineLookup)
	defer cancel()
	offline, err := h.sso.OfflineSoon(ctx, p)
	m.Offline, m.OfflineUnknown = offline, err != nil
	return views.SSOSync(m)
}

// syncSSO runs "sync now" for the partner admin's provider and says what
// it found.
func (h *Handler) syncSSO(c echo.Context) error {
	partnerID := ownPartnerID(c)
	if err := h.authorize(c, access.ManageSSOMappings, partnerID); err != nil {
		return err
	}
	rep, err := h.sso.SyncNow(c.Request().Context(), partnerID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return h.redirectWithFlash(c, "/sso", "error", "Your organisation has no single sign-on yet, so there is nothing to sync: your account manager sets it up.")
	case errors.Is(err, sso.ErrSyncTooSoon):
		return h.redirectWithFlash(c, "/sso", "error", "A sync ran less than a minute ago. Try again in a minute.")
	case err != nil:
		return err
	}
	if len(rep.Deprovisioned) > 0 && h.mailer != nil {
		h.mailer.Kick()
	}
	kind := "success"
	if rep.Error != "" {
		kind = "error"
	}
	return h.redirectWithFlash(c, "/sso", kind, syncSentence(rep))
}

// syncSentence says what a sync found.
func syncSentence(rep *sso.SyncReport) string {
	var b strings.Builder
	if rep.Error != "" {
		b.WriteString(rep.Error + " ")
	}
	fmt.Fprintf(&b, "Checked %d of %d %s: %d kept access", rep.Checked, rep.People, pluralWords(rep.People, "person", "people"), rep.Kept)
	if n := len(rep.Deprovisioned); n > 0 {
		names := make([]string, 0, min(n, 10))
		for i, d := range rep.Deprovisioned {
			if i == 10 {
				names = append(names, fmt.Sprintf("%d more", n-10))
				break
			}
			names = append(names, d.Name+" ("+d.Email+")")
		}
		fmt.Fprintf(&b, ", %d lost it: %s", n, strings.Join(names, ", "))
	}
	b.WriteString(".")
	if rep.Unchecked > 0 {
		fmt.Fprintf(&b, " %d could not be checked: the provider gave no refresh token when they signed in.", rep.Unchecked)
	}
	return b.String()
}
