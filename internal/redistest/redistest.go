// Package redistest gives tests a real Redis: a private redis-server on a
// free loopback port, without persistence, in a temporary folder, stopped
// when the test ends. Starting one takes a few milliseconds, so each test
// gets its own and may stop or pause it.
//
// Where redis-server is not installed (scripts/deps.sh installs it) the
// test is skipped, except under CI (CI=true), where that is a failure.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Server is a running redis-server.
type Server struct {
	// Addr is its host:port on 127.0.0.1.
	Addr string

	cmd  *exec.Cmd
	log  *bytes.Buffer
	once sync.Once
	done chan struct{}
	// bin and dir are what it was started with, for Restart.
	bin, dir string
}

// Start starts a redis-server for t and returns its address.
func Start(t testing.TB) (addr string) {
	t.Helper()
	return StartServer(t).Addr
}

// StartServer starts a redis-server for t, stopped when t ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, skip, err := find(exec.LookPath, os.Getenv)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	if skip != "" {
		t.Skip(skip)
	}
	var last error
	for range 3 { // the free port may be taken between choosing and binding
		s, err := start(bin, t.TempDir())
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		last = err
	}
	t.Fatalf("redistest: %v", last)
	return nil
}

// find locates redis-server, or says why the test is skipped, or fails
// when it is missing under CI.
func find(lookPath func(string) (string, error), getenv func(string) string) (bin, skip string, err error) {
	bin, err = lookPath("redis-server")
	if err == nil {
		return bin, "", nil
	}
	if ci := strings.ToLower(getenv("CI")); ci != "" && ci != "false" && ci != "0" {
		return "", "", errors.New("redis-server not found and CI is set: install it (bash scripts/deps.sh, or apt-get install redis-server)")
	}
	return "", "redistest: redis-server not found; install it with `bash scripts/deps.sh` (apt-get install redis-server) to run the Redis tests", nil
}

func start(bin, dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	return launch(bin, dir, port)
}

// launch starts redis-server on port and waits until it answers PING.
func launch(bin, dir string, port int) (*Server, error) {
	s := &Server{
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		log:  new(bytes.Buffer),
		done: make(chan struct{}),
		bin:  bin,
		dir:  dir,
	}
	// #nosec G204 -- tests' redis-server, found on PATH, with arguments made here
	s.cmd = exec.Command(bin,
		"--bind", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--dir", dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--loglevel", "warning",
	)
	s.cmd.Stdout = &lockedWriter{w: s.log}
	s.cmd.Stderr = s.cmd.Stdout
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(s.Addr); err == nil {
			return s, nil
		} else if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("redis-server on %s did not answer PING: %v; its output:\n%s", s.Addr, err, s.output())
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("redis-server on %s exited at start; its output:\n%s", s.Addr, s.output())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Stop kills the server (it keeps nothing worth a clean shutdown) and waits
// for it to exit. Calling it again does nothing.
func (s *Server) Stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

// Pause freezes the server (SIGSTOP): connections are still accepted by
// the kernel but nothing is answered, like a hung Redis.
func (s *Server) Pause() error { return s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused server (SIGCONT).
func (s *Server) Resume() error { return s.cmd.Process.Signal(syscall.SIGCONT) }

func (s *Server) output() string {
	w := s.cmd.Stdout.(*lockedWriter)
	w.mu.Lock()
	defer w.mu.Unlock()
	return s.log.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
