package handlers_test

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/portico/portico/internal/access"
)

// matrixActor is one of the people every route is tried by.
type matrixActor struct {
	// name names the actor's subtests.
	name string
	// email signs the actor in; "" is the anonymous visitor.
	email string
	// who is the policy's view of the actor, read from the database.
	who access.Actor
	// insider sees partner B: B's own users, B's account manager and the
	// platform admin. Everyone else must see nothing of B on any route;
	// insiders nothing new on a route they are refused.
	insider bool
	// cookies are the actor's signed-in session, copied into every copy of
	// the world.
	cookies []*http.Cookie
}

// matrixActors are the actors of the matrix: the anonymous visitor, the
// developer and the partner admin of A (Harbor: "another partner's
// admin" acting on B's resources), B's (Crane's) own developer and partner
// admin, B's account manager, an account manager not assigned to B, and
// the platform admin.
func matrixActors() []*matrixActor {
	return []*matrixActor{
		{name: "anonymous"},
		{name: "developer of A", email: "dev@harbor.test"},
		{name: "partner admin of A", email: "admin@harbor.test"},
		{name: "developer of B", email: "dev@crane.test", insider: true},
		{name: "partner admin of B", email: "admin@crane.test", insider: true},
		{name: "account manager of B", email: "riley@portico.test", insider: true},
		{name: "account manager not of B", email: "am@portico.test"},
		{name: "platform admin", email: "admin@portico.test", insider: true},
	}
}

// target is partner B and the owner of B's token, which every entry's
// request names.
type target struct{ partner, tokenOwner int64 }

// rule is what the policy decides for an actor on a route, asked about
// partner B's resources.
type rule func(a access.Actor, b target) access.Decision

// onB: the route names B's resource by its id; the policy is asked about
// B (staff pages of one partner, alerts, grants).
func onB(act access.Action) rule {
	return func(a access.Actor, b target) access.Decision { return access.Can(a, act, b.partner) }
}

// ownPartner: the route's partner is the signed-in user's own (0 for
// staff), never one from the request; it names no resource of B.
func ownPartner(act access.Action) rule {
	return func(a access.Actor, _ target) access.Decision { return access.Can(a, act, a.PartnerID) }
}

// ofOwn: the route's partner is the signed-in user's own, and the request
// names one of B's resources by id, which is found only in B: whoever may
// act on their own partner but is not B's gets 404.
func ofOwn(act access.Action) rule {
	return func(a access.Actor, b target) access.Decision {
		d := access.Can(a, act, a.PartnerID)
		if d == access.Allow && a.PartnerID != b.partner {
			return access.Hidden
		}
		return d
	}
}

// portalWide: not one partner's (the catalog, access groups, portal
// settings, lists spanning partners, bounded by the viewer).
func portalWide(act access.Action) rule {
	return func(a access.Actor, _ target) access.Decision { return access.Can(a, act, 0) }
}

// tokenOfB: the route names B's developer's token.
func tokenOfB(act access.Action) rule {
	return func(a access.Actor, b target) access.Decision {
		return access.CanToken(a, act, b.tokenOwner, b.partner)
	}
}

// ownClient: registering an OAuth client of one's own partner (B does not
// let developers register clients).
func ownClient(a access.Actor, _ target) access.Decision {
	return access.CanCreateClient(a, a.PartnerID, false)
}

// signedIn: anyone signed in (their own account, pages every role has).
func signedIn(a access.Actor, _ target) access.Decision {
	if a.UserID == 0 {
		return access.Deny
	}
	return access.Allow
}

// anyOf allows what one of the rules allows; otherwise hides what one
// hides.
func anyOf(rules ...rule) rule {
	return func(a access.Actor, b target) access.Decision {
		out := access.Deny
		for _, r := range rules {
			switch r(a, b) {
			case access.Allow:
				return access.Allow
			case access.Hidden:
				out = access.Hidden
			}
		}
		return out
	}
}

// expectation is what one actor gets from one entry.
type expectation struct {
	// status is the exact status; 0 is any success or redirect (an allowed
	// change: its own tests check what it does).
	status int
	// allowed: the policy lets the actor through.
	allowed bool
	// signIn: the anonymous visitor is sent to the sign-in form.
	signIn bool
}

func (x expectation) String() string {
	switch {
	case x.signIn:
		return "303 to /sign-in"
	case x.status == 0:
		return "a success or redirect"
	}
	return strconv.Itoa(x.status)
}

// met reports whether an answer is the one expected.
func (x expectation) met(status int, location string) bool {
	toSignIn := strings.HasPrefix(location, "/sign-in")
	switch {
	case x.signIn:
		return status == http.StatusSeeOther && toSignIn
	case x.status == 0:
		return status >= 200 && status < 400 && !toSignIn
	}
	return status == x.status
}

// expect computes what actor a gets from entry e: the anonymous visitor
// is asked to sign in on every route that is not public (a page by the
// sign-in form, a form post and /api/v1 by 401); everyone else gets what
// the policy decides: the entry's status when allowed, 403 when the role
// may not, 404 when B's resource is hidden from them.
func expect(e routePolicy, a *matrixActor, b target) expectation {
	method := strings.Fields(e.route)[0]
	if a.email == "" && !e.public {
		if method == http.MethodGet && !strings.HasPrefix(strings.Fields(e.route)[1], "/api/") {
			return expectation{signIn: true}
		}
		return expectation{status: http.StatusUnauthorized}
	}
	switch e.rule(a.who, b) {
	case access.Allow:
		if a.email == "" && e.anon != 0 {
			return expectation{status: e.anon, allowed: true}
		}
		return expectation{status: e.ok, allowed: true}
	case access.Hidden:
		return expectation{status: http.StatusNotFound}
	}
	return expectation{status: http.StatusForbidden}
}

// anyone: a public route, answered alike to every visitor.
func anyone(access.Actor, target) access.Decision { return access.Allow }

// both allows what both rules allow; otherwise decides as the first that
// does not (the handler asks in that order).
func both(first, second rule) rule {
	return func(a access.Actor, b target) access.Decision {
		if d := first(a, b); d != access.Allow {
			return d
		}
		return second(a, b)
	}
}

// staffElse decides by staff for provider staff, by partner for partner
// users (routes that read the partner from the request for staff only).
func staffElse(staff, partner rule) rule {
	return func(a access.Actor, b target) access.Decision {
		if a.Staff() {
			return staff(a, b)
		}
		return partner(a, b)
	}
}

// kind names the expectation's class, for the test's summary.
func (x expectation) kind() string {
	switch {
	case x.allowed:
		return "allowed"
	case x.signIn || x.status == http.StatusUnauthorized:
		return "sign in"
	}
	return strconv.Itoa(x.status)
}

// endpointOfB: the route names B's webhook endpoint (its partner admins'):
// a role that manages no endpoints is refused (403); whoever else is not
// B's partner admin, staff included, finds nothing (404).
func endpointOfB(a access.Actor, b target) access.Decision {
	if d := access.Can(a, access.ManageWebhooks, a.PartnerID); d != access.Allow {
		return d
	}
	return access.CanManageEndpoint(a, b.partner, 0)
}
