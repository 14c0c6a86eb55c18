package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// runCmd runs the program in-process with the given environment.
func runCmd(ctx context.Context, t *testing.T, envv map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if _, ok := envv["PORTICO_DATA"]; !ok {
		envv["PORTICO_DATA"] = t.TempDir()
	}
	var out, errOut bytes.Buffer
	err = run(ctx, args, func(k string) string { return envv[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	dbURL := "postgres://u@127.0.0.1:1/db"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		args    []string
		setting string
	}{
		{"no database", map[string]string{}, nil, "DATABASE_URL"},
		{"database not postgres", map[string]string{"DATABASE_URL": "mysql://root:hunter2@x/db"}, nil, "DATABASE_URL"},
		{"short secret", map[string]string{"DATABASE_URL": dbURL, "PORTICO_SECRET": "too-short"}, nil, "PORTICO_SECRET"},
		{"production without secret", map[string]string{"DATABASE_URL": dbURL, "PORTICO_ENV": "production"}, nil, "PORTICO_SECRET"},
		{"bad address", map[string]string{"DATABASE_URL": dbURL, "PORTICO_ADDR": "8080"}, nil, "PORTICO_ADDR"},
		{"bad metrics address", map[string]string{"DATABASE_URL": dbURL, "PORTICO_METRICS_ADDR": "9090"}, nil, "PORTICO_METRICS_ADDR"},
		{"metrics on the public listener", map[string]string{"DATABASE_URL": dbURL, "PORTICO_ADDR": "127.0.0.1:8080", "PORTICO_METRICS_ADDR": "127.0.0.1:8080"}, nil, "PORTICO_METRICS_ADDR"},
		{"bad metrics address flag", map[string]string{"DATABASE_URL": dbURL}, []string{"--metrics-addr", "localhost"}, "PORTICO_METRICS_ADDR"},
		{"bad base URL", map[string]string{"DATABASE_URL": dbURL, "PORTICO_BASE_URL": "portal.example.com"}, nil, "PORTICO_BASE_URL"},
		{"flag overrides env", map[string]string{"DATABASE_URL": dbURL}, []string{"--base-url", "ftp://x"}, "PORTICO_BASE_URL"},
		{"unknown flag", map[string]string{"DATABASE_URL": dbURL}, []string{"--colour"}, "-colour"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runCmd(context.Background(), t, tc.env, "", append([]string{"serve"}, tc.args...)...)
			var u usageError
			if !errors.As(err, &u) {
				t.Fatalf("err = %v, want a usage error naming %s", err, tc.setting)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.setting) || strings.Contains(msg, "\n") {
				t.Errorf("err = %q, want one line naming %s", msg, tc.setting)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("err = %q shows the database password", msg)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"serve", "--help"}, {"migrate", "-h"}, {"seed", "--help"}, {"admin", "create", "--help"}, {"dev", "--help"}, {"dev", "generate", "--help"}} {
		_, stderr, err := runCmd(context.Background(), t, map[string]string{}, "", args...)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "Usage: portico") {
			t.Errorf("%v: err = %v, stderr %q; want help", args, err, stderr)
		}
	}
	out, _, err := runCmd(context.Background(), t, map[string]string{}, "", "--help")
	if err != nil || !strings.Contains(out, "admin create") {
		t.Errorf("portico --help = %v, %q", err, out)
	}
}

func TestMigrateSeedAdminCreate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t)}

	out, _, err := runCmd(ctx, t, envv, "", "migrate")
	if err != nil || !strings.Contains(out, "applied 00001_initial.sql") {
		t.Fatalf("first migrate: %v\n%s", err, out)
	}
	out, _, err = runCmd(ctx, t, envv, "", "migrate")
	if err != nil || !strings.Contains(out, "nothing to apply") {
		t.Fatalf("second migrate: %v\n%s", err, out)
	}

	out, _, err = runCmd(ctx, t, envv, "", "seed")
	if err != nil || !strings.Contains(out, "6 accounts created, 0 already there") || !strings.Contains(out, "dev@harbor.test") {
		t.Fatalf("first seed: %v\n%s", err, out)
	}
	out, _, err = runCmd(ctx, t, envv, "", "seed")
	if err != nil || !strings.Contains(out, "0 accounts created, 6 already there") {
		t.Fatalf("second seed: %v\n%s", err, out)
	}

	for _, tc := range []struct {
		name    string
		args    []string
		stdin   string
		wantErr string
		wantOut string
	}{
		{"creates", []string{"--email", "Ops@Example.com", "--name", "Olga Ops", "--role", "account_manager", "--password-stdin"}, "long enough pw\n", "", "created account manager Olga Ops <ops@example.com>"},
		{"duplicate email", []string{"--email", "ops@example.com", "--name", "Other", "--role", "admin", "--password-stdin"}, "long enough pw\n", "already exists", ""},
		{"bad role", []string{"--email", "x@example.com", "--name", "X", "--role", "developer", "--password-stdin"}, "long enough pw\n", "--role must be admin or account_manager", ""},
		{"short password", []string{"--email", "y@example.com", "--name", "Y", "--role", "admin", "--password-stdin"}, "short\n", "at least 8 characters", ""},
		{"common password", []string{"--email", "y@example.com", "--name", "Y", "--role", "admin", "--password-stdin"}, "Password1\n", "most common", ""},
		{"password with the email", []string{"--email", "yara@example.com", "--name", "Y", "--role", "admin", "--password-stdin"}, "i am yara!!\n", "name or email address", ""},
		{"no password flag", []string{"--email", "z@example.com", "--name", "Z", "--role", "admin"}, "", "--password-stdin is required", ""},
	} {
		out, _, err := runCmd(ctx, t, envv, tc.stdin, append([]string{"admin", "create"}, tc.args...)...)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out, tc.wantOut) {
			t.Errorf("%s: err = %v, out %q; want %q", tc.name, err, out, tc.wantOut)
		}
		if strings.Contains(out, "long enough pw") {
			t.Errorf("%s: the password is printed", tc.name)
		}
	}
}

// TestServeStartsAndStops runs `portico serve` against a fresh database:
// it becomes ready, answers, and returns cleanly when cancelled.
func TestServeStartsAndStops(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addr := freeAddr(t)
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "PORTICO_ADDR": addr}
	done := make(chan error, 1)
	go func() {
		_, _, err := runCmd(ctx, t, envv, "", "serve")
		done <- err
	}()
	waitReady(t, "http://"+addr)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not return within 30s of cancel")
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

// TestGracefulShutdown cancels the server while a request is in flight: the
// request still gets its full answer, and new connections are refused.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(500 * time.Millisecond)
		fmt.Fprint(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), ln, h) }()

	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{string(b), err}
	}()
	<-started
	cancel()
	r := <-res
	if r.err != nil || r.body != "finished" {
		t.Errorf("in-flight request = %q, %v; want its full answer %q", r.body, r.err, "finished")
	}
	if err := <-done; err != nil {
		t.Errorf("serveOn = %v, want nil", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("new connections are still accepted after shutdown")
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/readyz not 200 within 20s", base)
}

// TestDevGenerate fills a database with a small data set, then refuses to
// fill it twice.
func TestDevGenerate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	envv := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t)}
	out, _, err := runCmd(ctx, t, envv, "", "dev", "generate", "-scale", "0.005", "-calls", "500", "-days", "2")
	if err != nil {
		t.Fatalf("dev generate: %v\n%s", err, out)
	}
	for _, want := range []string{"applied 00001_initial.sql", "generating 2 partners", "calls 2/2", "data set ready", "dev@big.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("dev generate output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCmd(ctx, t, envv, "", "dev", "generate", "-scale", "0.005")
	var u usageError
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "already in this database") {
		t.Errorf("second dev generate = %v, want a usage error saying the data is there\n%s", err, out)
	}
	_, _, err = runCmd(ctx, t, envv, "", "dev", "generate", "-scale", "0")
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "--scale") {
		t.Errorf("dev generate -scale 0 = %v, want a usage error naming --scale", err)
	}
	prod := map[string]string{"DATABASE_URL": pgtest.EmptyURL(t), "PORTICO_ENV": "production", "PORTICO_SECRET": strings.Repeat("s", 64)}
	_, _, err = runCmd(ctx, t, prod, "", "dev", "generate", "-scale", "0.005")
	if !errors.As(err, &u) || !strings.Contains(err.Error(), "production") {
		t.Errorf("dev generate in production = %v, want a usage error", err)
	}
}
