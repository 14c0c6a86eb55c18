package api

import (
	"context"
	"time"

	"github.com/portico/portico/internal/access"
	"github.com/portico/portico/internal/usage"
)

// maxRising bounds the "error rate rising" list, as on the page.
const maxRising = 10

// usageRising is a partner whose calls fail more often in the last 24
// hours than in the week before.
type usageRising struct {
	PartnerID  int64  `json:"partner_id"`
	Partner    string `json:"partner"`
	Calls      int64  `json:"calls"`
	Errors     int64  `json:"errors"`
	BaseCalls  int64  `json:"base_calls"`
	BaseErrors int64  `json:"base_errors"`
}

// usageAnonymous is the calls that carried no credential over the range.
type usageAnonymous struct {
	Calls  int64                  `json:"calls"`
	Series []usageAnonymousBucket `json:"series"`
}

type usageAnonymousBucket struct {
	Start   time.Time `json:"start"`
	Sandbox int64     `json:"sandbox"`
	Live    int64     `json:"live"`
}

// staffUsage adds what only staff see on /usage: the partners (of an
// account manager's book) whose error rate is rising and those at 80 %
// of a monthly quota or more
// (whatever the range and filters, as on the page)
// and, for the platform admin, the calls over the range that carried no
// credential (nobody's, so no filter applies).
func (a *API) staffUsage(ctx context.Context, actor access.Actor, rng usage.Range, now time.Time, out *usageAnswer) error {
	trends, err := a.Store.ErrorRatesRising(ctx, now, actor.Book(), maxRising)
	if err != nil {
		return err
	}
	out.Rising = make([]usageRising, 0, len(trends))
	for _, t := range trends {
		out.Rising = append(out.Rising, usageRising{PartnerID: t.PartnerID, Partner: t.Name, Calls: t.Calls, Errors: t.Errors,
			BaseCalls: t.BaseCalls, BaseErrors: t.BaseErrors})
	}
	alerts, err := a.Store.QuotaAlerts(ctx, usage.MonthStart(now), usage.NearQuotaPercent, actor.Book(), maxRising)
	if err != nil {
		return err
	}
	out.NearQuota = make([]usageNearQuota, 0, len(alerts))
	for _, q := range alerts {
		out.NearQuota = append(out.NearQuota, usageNearQuota{PartnerID: q.PartnerID, Partner: q.PartnerName,
			usageQuota: usageQuota{GroupID: q.GroupID, Group: q.GroupName, Quota: q.Quota, Used: q.Used, Projected: usage.Projection(q.Used, now)}})
	}
	if access.Can(actor, access.ViewAnonymousUsage, 0) != access.Allow {
		return nil
	}
	points, err := a.Store.UsageWithoutCredential(ctx, rng.From, rng.To, rng.Step)
	if err != nil {
		return err
	}
	s := usage.Sum(points, rng)
	out.Anonymous = &usageAnonymous{Calls: s.Total, Series: make([]usageAnonymousBucket, 0, rng.Buckets)}
	for i := range rng.Buckets {
		out.Anonymous.Series = append(out.Anonymous.Series, usageAnonymousBucket{Start: utc(rng.Start(i)), Sandbox: s.Sandbox[i], Live: s.Live[i]})
	}
	return nil
}
