// Package nginxtest gives tests a real NGINX (Debian's): one process on a
// free loopback port with a configuration the test writes, in a temporary
// folder, stopped when the test ends. It starts in a few milliseconds, so
// each test gets its own.
//
// Where nginx is not installed (scripts/deps.sh installs it) the test is
// skipped, except under CI (CI=true), where that is a failure.
package nginxtest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico/portico/internal/logtest"
)

// Server is a running nginx.
type Server struct {
	// Addr is its host:port on 127.0.0.1.
	Addr string

	cmd  *exec.Cmd
	log  *logtest.Buffer
	once sync.Once
	done chan struct{}
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.Addr }

// Start runs nginx for t with servers, the http{} block's server blocks
// (and whatever else an http block holds), in which every "{{listen}}"
// becomes the 127.0.0.1 address it listens on. nginx runs in the
// foreground as one process (no master, no user switch), logs errors to
// the test's output on failure, and keeps its temporary files in a
// folder of t's.
func Start(t testing.TB, servers string) *Server {
	t.Helper()
	bin, skip, err := find(exec.LookPath, os.Getenv)
	if err != nil {
		t.Fatalf("nginxtest: %v", err)
	}
	if skip != "" {
		t.Skip(skip)
	}
	var last error
	for range 3 { // the free port may be taken between choosing and binding
		s, err := start(bin, t.TempDir(), servers)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		last = err
	}
	t.Fatalf("nginxtest: %v", last)
	return nil
}

// find locates nginx (Debian puts it in /usr/sbin, not on every user's
// PATH), or says why the test is skipped, or fails when it is missing
// under CI.
func find(lookPath func(string) (string, error), getenv func(string) string) (bin, skip string, err error) {
	for _, name := range []string{"nginx", "/usr/sbin/nginx"} {
		if bin, err := lookPath(name); err == nil {
			return bin, "", nil
		}
	}
	if ci := strings.ToLower(getenv("CI")); ci != "" && ci != "false" && ci != "0" {
		return "", "", errors.New("nginx not found and CI is set: install it (bash scripts/deps.sh, or apt-get install nginx)")
	}
	return "", "nginxtest: nginx not found; install it with `bash scripts/deps.sh` (apt-get install nginx) to run the NGINX tests", nil
}

// config is the whole nginx.conf around the test's servers.
func config(dir, servers, probe, marker string) string {
	return `daemon off;
master_process off;
worker_processes 1;
pid ` + filepath.Join(dir, "nginx.pid") + `;
error_log stderr warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path ` + filepath.Join(dir, "body") + `;
    proxy_temp_path ` + filepath.Join(dir, "proxy") + `;
    fastcgi_temp_path ` + filepath.Join(dir, "fastcgi") + `;
    uwsgi_temp_path ` + filepath.Join(dir, "uwsgi") + `;
    scgi_temp_path ` + filepath.Join(dir, "scgi") + `;
` + servers + `
    # nginxtest's readiness probe: answering the marker on this port, it
    # is this nginx, with every listen socket of the servers above bound
    # (nginx binds them all before it serves any).
    server { listen ` + probe + `; location = /nginxtest-ready { return 200 "` + marker + `"; } }
}
`
}

func start(bin, dir, servers string) (*Server, error) {
	// A port freePort saw free may be taken by another process before
	// nginx binds it: nginx then exits with "Address already in use",
	// and the start is tried again on other ports.
	for attempt := 1; ; attempt++ {
		s, err := startOnce(bin, dir, servers)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "Address already in use") {
			return s, err
		}
	}
}

func startOnce(bin, dir, servers string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	probePort, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	probe := net.JoinHostPort("127.0.0.1", strconv.Itoa(probePort))
	marker := "nginxtest-" + strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + strconv.Itoa(port)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(config(dir, strings.ReplaceAll(servers, "{{listen}}", addr), probe, marker)), 0o600); err != nil {
		return nil, err
	}
	s := &Server{Addr: addr, log: &logtest.Buffer{}, done: make(chan struct{})}
	// -e: the log of start-up, before the configuration is read, goes to
	// stderr too rather than to /var/log/nginx.
	s.cmd = exec.Command(bin, "-p", dir, "-c", conf, "-e", "stderr") // #nosec G204 -- tests' NGINX, found on PATH, with its folder and configuration made here
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	// Ready is the marker from the probe port: a connection accepted on
	// addr alone may be another process's listener on a reused port.
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ready(client, probe, marker) {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("nginx on %s did not answer its readiness probe within 10 s; its output:\n%s", addr, s.log)
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("nginx on %s exited at start; its output:\n%s", addr, s.log)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// ready reports whether the probe port answers the marker.
func ready(client *http.Client, probe, marker string) bool {
	resp, err := client.Get("http://" + probe + "/nginxtest-ready")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	return err == nil && resp.StatusCode == http.StatusOK && string(b) == marker
}

// Stop kills nginx (it keeps nothing worth a graceful stop) and waits for
// it to exit. Calling it again does nothing.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

// Output is what nginx logged so far (errors and warnings).
func (s *Server) Output() string { return s.log.String() }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
