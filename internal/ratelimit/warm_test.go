package ratelimit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/portico/portico/internal/redistest"
)

// After Warm, a fresh node's first calls are one EVALSHA each over an
// open connection: the script loads (EVAL, SCRIPT LOAD) and the dial that
// made them slow enough to time out are done, and nothing was stored.
func TestWarmLoadsTheScriptsAhead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	client := node(t, redistest.Start(t))
	lim, quota := NewRedis(client, time.Second), NewRedisQuota(client, time.Second)
	if err := lim.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if err := quota.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if n := client.DBSize(ctx).Val(); n != 0 {
		t.Errorf("Warm stored %d keys", n)
	}
	loads := func() string { return commandCalls(t, client, "eval", "script|load") }
	before := loads()
	if _, err := lim.Allow(ctx, "partner-1/group-1", 10); err != nil {
		t.Fatal(err)
	}
	if _, _, err := quota.Use(ctx, "partner-1/group-1", 10, time.Now()); err != nil {
		t.Fatal(err)
	}
	if after := loads(); after != before {
		t.Errorf("the first calls after Warm loaded a script: %s, then %s", before, after)
	}
}

func TestWarmReportsARedisThatIsDown(t *testing.T) {
	t.Parallel()
	s := redistest.StartServer(t)
	client := node(t, s.Addr)
	s.Stop()
	if err := NewRedis(client, 100*time.Millisecond).Warm(context.Background()); err == nil {
		t.Error("limiter: Warm against a stopped Redis succeeded")
	}
	if err := NewRedisQuota(client, 100*time.Millisecond).Warm(context.Background()); err == nil {
		t.Error("quota: Warm against a stopped Redis succeeded")
	}
}

// commandCalls returns the INFO commandstats lines of the commands named.
func commandCalls(t *testing.T, c *redis.Client, names ...string) string {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(info, "\r\n") {
		for _, n := range names {
			if strings.HasPrefix(line, "cmdstat_"+n+":") {
				calls, _, _ := strings.Cut(line, ",")
				out = append(out, calls)
			}
		}
	}
	return strings.Join(out, " ")
}
