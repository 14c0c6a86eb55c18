package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/portico/portico/internal/logtest"
)

// TestSyncFailuresLoggedAtTheEdge: a provider down for many rounds is
// logged when it goes down, again only if the problem changes, and once
// when it works again; another provider's problem is its own.
func TestSyncFailuresLoggedAtTheEdge(t *testing.T) {
	t.Parallel()
	var buf logtest.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	failing := map[int64]string{}
	for _, round := range []struct {
		id      int64
		problem string
	}{
		{1, ""}, {1, "unreachable"}, {1, "unreachable"}, {2, "refused"}, {1, "unreachable"},
		{1, "bad secret"}, {1, "bad secret"}, {1, ""}, {1, ""}, {2, "refused"},
	} {
		noteSyncFailure(log, failing, round.id, round.problem)
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		i := strings.Index(l, "msg=")
		got = append(got, l[i:])
	}
	want := []string{
		`msg="sso sync failed" provider=1 err=unreachable`,
		`msg="sso sync failed" provider=2 err=refused`,
		`msg="sso sync failed" provider=1 err="bad secret"`,
		`msg="sso sync working again" provider=1`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logged:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
