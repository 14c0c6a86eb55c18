package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/portico/portico/internal/sso"
)

// ssoSyncTick is how often the scheduled check looks for providers due a
// sync; each is synced once per interval, by the node that claims it.
const ssoSyncTick = 5 * time.Minute

// syncIdentityProviders runs the scheduled SSO check until ctx ends:
// every interval (0: never), each identity provider that issues refresh
// tokens is asked about its people (sso.Service.SyncDue). A failure is
// logged when it starts or changes, and its end once, not at every
// round while a provider stays down.
func syncIdentityProviders(ctx context.Context, svc *sso.Service, every time.Duration, mailer interface{ Kick() }, log *slog.Logger) {
	if every <= 0 {
		return
	}
	t := time.NewTicker(min(every, ssoSyncTick))
	defer t.Stop()
	failing := map[int64]string{}
	for {
		outcomes, err := svc.SyncDue(ctx, every)
		if ctx.Err() != nil {
			return // stopping
		}
		if err != nil {
			noteSyncFailure(log, failing, 0, err.Error())
		}
		for _, o := range outcomes {
			problem := ""
			switch {
			case o.Err != nil:
				problem = o.Err.Error()
			case o.Report.Error != "":
				problem = o.Report.Error
			}
			noteSyncFailure(log, failing, o.ProviderID, problem)
			if o.Report != nil && len(o.Report.Deprovisioned) > 0 {
				log.Info("sso sync ended access", "provider", o.ProviderID, "deprovisioned", len(o.Report.Deprovisioned), "kept", o.Report.Kept)
				mailer.Kick()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// noteSyncFailure logs a provider's sync problem ("" for none) when it
// differs from the last one seen; id 0 is the round itself.
func noteSyncFailure(log *slog.Logger, failing map[int64]string, id int64, problem string) {
	was := failing[id]
	switch {
	case problem == was:
	case problem == "":
		delete(failing, id)
		log.Info("sso sync working again", "provider", id)
	default:
		failing[id] = problem
		log.Warn("sso sync failed", "provider", id, "err", problem)
	}
}
