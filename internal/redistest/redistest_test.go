package redistest

import (
	"errors"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStartAnswersAndStopEnds(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	if err := ping(s.Addr); err != nil {
		t.Fatalf("PING %s: %v", s.Addr, err)
	}
	other := Start(t)
	if other == s.Addr {
		t.Fatalf("two servers share %s", other)
	}
	s.Stop()
	s.Stop() // idempotent
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", s.Addr)
	}
}

func TestPauseAndResume(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr); err == nil {
		t.Fatal("a paused server answered PING")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := ping(s.Addr); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	found := func(string) (string, error) { return "/usr/bin/redis-server", nil }
	missing := func(string) (string, error) { return "", exec.ErrNotFound }
	type result struct {
		Bin     string
		Skipped bool
		Failed  bool
	}
	for _, tc := range []struct {
		name string
		look func(string) (string, error)
		ci   string
		want result
	}{
		{"installed", found, "", result{Bin: "/usr/bin/redis-server"}},
		{"installed under CI", found, "true", result{Bin: "/usr/bin/redis-server"}},
		{"missing locally skips", missing, "", result{Skipped: true}},
		{"missing with CI=false skips", missing, "false", result{Skipped: true}},
		{"missing under CI fails", missing, "true", result{Failed: true}},
		{"missing under CI=1 fails", missing, "1", result{Failed: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin, skip, err := find(tc.look, func(k string) string {
				if k == "CI" {
					return tc.ci
				}
				return ""
			})
			got := result{Bin: bin, Skipped: skip != "", Failed: err != nil}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("find (-want +got):\n%s", diff)
			}
			if err != nil && errors.Is(err, exec.ErrNotFound) {
				t.Errorf("error %v should explain, not wrap", err)
			}
		})
	}
}
