package nginxtest

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStartServesAndStopEnds(t *testing.T) {
	t.Parallel()
	s := Start(t, `server { listen {{listen}}; location / { return 200 "hello from nginx\n"; } }`)
	resp, err := http.Get(s.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from nginx\n" {
		t.Fatalf("GET / = %d %q", resp.StatusCode, body)
	}
	s.Stop()
	s.Stop() // idempotent
	if c, err := net.DialTimeout("tcp", s.Addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("%s still accepts connections after Stop", s.Addr)
	}
}

func TestBadConfigSaysWhy(t *testing.T) {
	t.Parallel()
	bin, skip, err := find(exec.LookPath, func(string) string { return "" })
	if err != nil || skip != "" {
		t.Skip(skip)
	}
	_, err = start(bin, t.TempDir(), `server { listen {{listen}}; no_such_directive on; }`)
	if err == nil || !strings.Contains(err.Error(), "no_such_directive") {
		t.Errorf("start with a bad config = %v, want nginx's complaint naming the directive", err)
	}
}

func TestFind(t *testing.T) {
	t.Parallel()
	inSbin := func(name string) (string, error) {
		if name == "/usr/sbin/nginx" {
			return name, nil
		}
		return "", exec.ErrNotFound
	}
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
		{"outside PATH, in /usr/sbin", inSbin, "", result{Bin: "/usr/sbin/nginx"}},
		{"missing locally: skipped", missing, "", result{Skipped: true}},
		{"missing under CI: failed", missing, "true", result{Failed: true}},
		{"CI=false is local", missing, "false", result{Skipped: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin, skip, err := find(tc.look, func(k string) string {
				if k == "CI" {
					return tc.ci
				}
				return ""
			})
			got := result{Bin: bin, Skipped: skip != "", Failed: err != nil && !errors.Is(err, exec.ErrNotFound)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("find (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReadyNeedsTheMarker: another process's listener on a port nginx was
// to take is not mistaken for nginx (a bad config once "started" so).
func TestReadyNeedsTheMarker(t *testing.T) {
	t.Parallel()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("somebody else"))
	}))
	t.Cleanup(other.Close)
	client := &http.Client{Timeout: time.Second}
	if ready(client, strings.TrimPrefix(other.URL, "http://"), "nginxtest-marker") {
		t.Error("another server's answer was taken for nginx's readiness")
	}
	if !ready(client, strings.TrimPrefix(other.URL, "http://"), "somebody else") {
		t.Error("the marker was not recognised")
	}
}
