package usage

import (
	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
)

// View is whose usage a dashboard (or the management API's answer) shows,
// as the policy decides it for the actor: the part of the rollup it reads
// and which tables go with it.
type View struct {
	Scope store.UsageScope
	// Everyone is every partner's usage (staff), with the top consumers:
	// an account manager's partners only (Scope.Book).
	Everyone bool
	// Partner is one partner's usage, with its members' shares and quotas.
	Partner bool
}

// ViewFor decides whose usage the actor sees: every partner for a
// platform admin, their own partners for an account manager (their
// book), their partner for a partner admin, their own tokens for another
// partner user. It comes from the actor alone, never from a request. ok
// is false for an actor who may see none.
func ViewFor(a access.Actor) (v View, ok bool) {
	switch {
	case a.Staff():
		return View{Scope: store.UsageScope{Book: a.Book()}, Everyone: true}, access.Can(a, access.ViewUsage, 0) == access.Allow
	case a.PartnerID != 0 && access.Can(a, access.ViewUsage, a.PartnerID) == access.Allow:
		return View{Scope: store.UsageScope{PartnerID: a.PartnerID}, Partner: true}, true
	case a.PartnerID != 0 && access.Can(a, access.ViewOwnUsage, a.PartnerID) == access.Allow:
		return View{Scope: store.UsageScope{PartnerID: a.PartnerID, UserID: a.UserID}}, true
	}
	return View{}, false
}

// Action is the policy action the view was granted by (and whose portal
// scope a token needs).
func (v View) Action() access.Action {
	if v.Everyone || v.Partner {
		return access.ViewUsage
	}
	return access.ViewOwnUsage
}
