package handlers

import (
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// Bounds of the home pages: each list shows at most homeRows rows, and
// counts stop past their bound ("20+"), so no item reads a whole partner.
const (
	homeRows = 5
	// tokenSoonDays is how far ahead a developer's home warns of expiring
	// tokens.
	tokenSoonDays = 14
	// teamlessBound bounds the count of members in no team.
	teamlessBound = 20
	// quotaAlertPercent is the share of a monthly quota from which a
	// partner is "near" it on an account manager's home.
	quotaAlertPercent = usage.NearQuotaPercent
	// outboxBound bounds the count of mails waiting.
	outboxBound = 1000
)

// roleHelp says in a sentence what each role does in the portal.
var roleHelp = map[string]string{
	store.RoleAdmin:          "You run this portal: partners, account managers and portal-wide settings.",
	store.RoleAccountManager: "You onboard partners, publish APIs and decide which partner teams may call them.",
	store.RolePartnerAdmin:   "You manage your organisation's people, teams and credentials.",
	store.RoleDeveloper:      "Read the API documentation, try calls in the sandbox and manage your own access tokens.",
}

// home renders the landing page, or the signed-in user's next steps: what
// their role has to act on, each item asked of the policy and linking to
// where it is acted on. The header already names the user and role, so
// the page does not welcome them again. Each item is one bounded query.
func (h *Handler) home(c echo.Context) error {
	m := views.HomePage{Page: h.page(c, ""), SignInHref: "/sign-in"}
	u := currentUser(c)
	if u == nil {
		return h.render(c, http.StatusOK, views.Home(m))
	}
	m.SignedIn, m.Heading, m.RoleHelp = true, "What to do next", roleHelp[u.Role]
	hc := homeContext{c: c, a: actorOf(u), now: time.Now()}
	var err error
	switch u.Role {
	case store.RoleDeveloper:
		m.Developer, err = h.developerHome(hc)
	case store.RolePartnerAdmin:
		m.PartnerAdmin, err = h.partnerAdminHome(hc)
	case store.RoleAccountManager:
		m.AccountManager, err = h.accountManagerHome(hc)
	case store.RoleAdmin:
		m.Heading = "The portal's health"
		m.Admin, err = h.adminHome(hc)
	}
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, views.Home(m))
}

// homeContext is what every role's home reads: the request, the actor the
// policy decides on, and one "now" for the whole page.
type homeContext struct {
	c   echo.Context
	a   access.Actor
	now time.Time
}

// can asks the policy whether the actor may do act on partnerID's
// resources: an item is shown only when it may.
func (hc homeContext) can(act access.Action, partnerID int64) bool {
	return access.Can(hc.a, act, partnerID) == access.Allow
}

// today is the current UTC day, [start, end).
func (hc homeContext) today() (time.Time, time.Time) {
	y, mo, d := hc.now.UTC().Date()
	start := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 0, 1)
}

// boundedCount says n, or "bound+" when the count stopped past its bound.
func boundedCount(n, bound int) string {
	if n > bound {
		return formatCount(int64(bound)) + "+"
	}
	return formatCount(int64(n))
}

// pluralWords picks the words that follow a count of n.
func pluralWords(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// homeQuota says a quota's use in words and for its meter:
// "12,400 of 50,000 (25 %)".
func homeQuota(group string, used, quota int64) views.HomeQuota {
	pct := 0.0
	if quota > 0 {
		pct = 100 * float64(used) / float64(quota)
	}
	return views.HomeQuota{Group: group, Used: used, Quota: quota, Over: used >= quota,
		Text: fmt.Sprintf("%s of %s (%d %%)", formatCount(used), formatCount(quota), int64(math.Round(pct)))}
}

// callsToday sums a scope's calls of today, per environment, from the
// usage rollup: one query, a handful of rows whatever the traffic.
func (h *Handler) callsToday(hc homeContext, sc store.UsageScope) (string, []views.HomeCount, error) {
	from, to := hc.today()
	points, err := h.store.UsageSeries(hc.c.Request().Context(), sc, from, to, 24*time.Hour)
	if err != nil {
		return "", nil, err
	}
	var total, sandbox, live, failed int64
	for _, p := range points {
		total += p.Calls
		if p.Environment == store.EnvLive {
			live += p.Calls
		} else {
			sandbox += p.Calls
		}
		failed += p.ClientErrors + p.ServerErrors
	}
	if total == 0 {
		return "0", nil, nil
	}
	return formatCount(total), []views.HomeCount{
		{Name: "sandbox", Count: formatCount(sandbox)},
		{Name: "live", Count: formatCount(live)},
		{Name: "failed (4xx, 5xx)", Count: formatCount(failed)},
	}, nil
}
