package handlers

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/calls"
	"github.com/portico/portico/internal/store"
	"github.com/portico/portico/internal/usage"
	"github.com/portico/portico/views"
)

// callQueue is what the platform admin's home reads of the gateway's call
// audit queue (calls.Writer): in memory, this node's only.
type callQueue interface {
	Stats() calls.Stats
	Capacity() int
}

// accountManagerHome is an account manager's next steps: the partners of
// their book that called in the last 24 hours, those near a monthly
// quota, and the newest grants to them.
func (h *Handler) accountManagerHome(hc homeContext) (*views.AccountManagerHome, error) {
	ctx := hc.c.Request().Context()
	m := &views.AccountManagerHome{MinPercent: quotaAlertPercent}
	if hc.can(access.ViewUsage, 0) {
		rows, err := h.store.UsageByPartner(ctx, store.UsageScope{Book: hc.a.Book()}, hc.now.Add(-24*time.Hour), hc.now.Add(time.Minute), homeRows)
		if err != nil {
			return nil, err
		}
		m.ShowUsage = true
		for _, r := range rows {
			m.Busy = append(m.Busy, views.HomePartnerUsage{Name: r.Name, Href: partnerUsagePath(r.ID),
				Calls: formatCount(r.Calls), Errors: formatCount(r.ServerErrors)})
		}
		alerts, err := h.store.QuotaAlerts(ctx, usage.MonthStart(hc.now), quotaAlertPercent, hc.a.Book(), homeRows)
		if err != nil {
			return nil, err
		}
		m.ShowQuotas = true
		for _, q := range alerts {
			m.NearQuota = append(m.NearQuota, views.HomeQuotaAlert{Partner: q.PartnerName, Href: partnerUsagePath(q.PartnerID),
				HomeQuota: homeQuota(q.GroupName, q.Used, q.Quota)})
		}
	}
	if hc.can(access.ManageAccessGroups, 0) {
		grants, err := h.store.RecentGrants(ctx, hc.a.Book(), homeRows)
		if err != nil {
			return nil, err
		}
		m.ShowGrants = true
		for _, g := range grants {
			v := grantView(g)
			grantee := v.Grantee
			if g.TeamID != nil {
				grantee = "team " + grantee
			}
			m.Grants = append(m.Grants, views.HomeGrant{Group: g.GroupName, Href: "/access-groups/" + strconv.FormatInt(g.GroupID, 10),
				Partner: g.PartnerName, Grantee: grantee, Granted: v.Granted + " by " + v.GrantedBy})
		}
	}
	return m, nil
}

func partnerUsagePath(id int64) string { return "/partners/" + strconv.FormatInt(id, 10) + "/usage" }

// adminHome is the platform admin's view of the portal's health: the
// gateway's 5xx share in the last hour, this node's call audit queue, the
// mail outbox's backlog and the last retention run.
func (h *Handler) adminHome(hc homeContext) (*views.AdminHome, error) {
	ctx := hc.c.Request().Context()
	m := &views.AdminHome{}
	// The gateway's error rate counts the calls without a credential too.
	if hc.can(access.ViewUsage, 0) && hc.can(access.ViewAnonymousUsage, 0) {
		g, err := h.store.GatewayErrors(ctx, hc.now.Add(-time.Hour), hc.now.Add(time.Minute))
		if err != nil {
			return nil, err
		}
		m.ShowErrors, m.HourCalls, m.HourErrors = true, formatCount(g.Calls), formatCount(g.ServerErrors)
		if g.Calls > 0 {
			rate := 100 * float64(g.ServerErrors) / float64(g.Calls)
			m.ErrorRate, m.ErrorsRaised = fmt.Sprintf("%.1f %%", rate), rate >= 1
			if g.ServerErrors > 0 && rate < 0.05 {
				m.ErrorRate = "< 0.1 %" // not "0.0 %" when some failed
			}
		}
	}
	if h.callQueue != nil && hc.can(access.ManagePortalSettings, 0) {
		s, capacity := h.callQueue.Stats(), h.callQueue.Capacity()
		m.ShowQueue, m.QueueDepth, m.QueueCapacity = true, formatCount(s.Queued), formatCount(int64(capacity))
		m.QueueHigh = capacity > 0 && s.Queued*2 >= int64(capacity)
	}
	if hc.can(access.ViewOutbox, 0) {
		n, err := h.store.OutboxBacklog(ctx, outboxBound+1)
		if err != nil {
			return nil, err
		}
		m.ShowOutbox, m.OutboxWaiting, m.OutboxBacklog = true, n > 0, boundedCount(n, outboxBound)
		m.OutboxWords = pluralWords(n, "mail waits to be sent.", "mails wait to be sent.")
	}
	if hc.can(access.ManagePortalSettings, 0) {
		run, err := h.store.LastRetentionRun(ctx)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		default:
			m.Retention = &views.HomeRetention{Finished: formatTime(run.FinishedAt), Complete: run.Complete, Error: run.Error,
				Summary: fmt.Sprintf("%d call partitions dropped, %s older call rows and %s usage rows deleted.",
					len(run.PartitionsDropped), formatCount(run.DefaultRowsDeleted), formatCount(run.RollupRowsDeleted))}
		}
		m.ShowRetention = true
	}
	return m, nil
}
