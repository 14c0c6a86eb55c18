package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/portico/portico/internal/retention"
	"github.com/portico/portico/internal/store"
)

// cmdRetention runs `portico retention run`: the retention job once, now,
// whether or not a run is due (the server runs it once a day by itself).
func cmdRetention(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "run" {
		return usageError{`unknown retention command: use "portico retention run --help"`}
	}
	cfg, err := command{name: "retention run", needDB: true,
		summary: "Remove the calls and usage minutes older than the portal's retention settings now, as the server\n" +
			"does once a day: whole days of calls are dropped, older usage deleted in batches. The run is audited."}.parse(e, args[1:], nil)
	if err != nil {
		return err
	}
	db, err := currentDB(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	r, err := retention.New(store.New(db), retention.Config{}, e.log).Once(ctx, true)
	if errors.Is(err, retention.ErrBusy) {
		return fmt.Errorf("retention run: %w; try again when it has finished", err)
	}
	if r != nil {
		dropped := "none"
		if len(r.PartitionsDropped) > 0 {
			dropped = strings.Join(r.PartitionsDropped, ", ")
		}
		fmt.Fprintf(e.stdout, "calls before %s: dropped %d day partitions (%s), deleted %d rows of the default partition\n",
			r.CallsBefore.Format("2006-01-02"), len(r.PartitionsDropped), dropped, r.DefaultRowsDeleted)
		fmt.Fprintf(e.stdout, "usage before %s: deleted %d per-minute rows\n", r.RollupsBefore.UTC().Format("2006-01-02"), r.RollupRowsDeleted)
		if !r.Complete {
			return fmt.Errorf("retention run cut short: %s", r.Error)
		}
	}
	return err
}
