package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// procs are the processes a run started, stopped in reverse order when it
// ends however it ends.
type procs struct {
	logDir string
	mu     sync.Mutex
	list   []*proc
}

// proc is one started process; its output goes to a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
	once sync.Once
}

// start runs bin with args and env added to this process's environment.
func (ps *procs) start(name, bin string, args, env []string) (*proc, error) {
	logPath := filepath.Join(ps.logDir, name+".log")
	f, err := os.Create(logPath) // #nosec G304 -- a log in the bench's own work folder
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...) // #nosec G204 -- a program the bench built or found (NGINX), with arguments it made
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// A group of its own: Ctrl-C reaches only us, and we stop the
	// processes in order (Portico gracefully, to flush its audit).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close() // the start's error is the one to report
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); _ = f.Close(); close(p.done) }() // the log is read from its path; a close error loses nothing
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// stopAll stops every process still running, the last started first.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		_ = list[i].stop(10 * time.Second)
	}
}

// stop sends SIGTERM and waits up to grace for the process to exit, then
// kills it. It returns the process's exit error after a SIGTERM that was
// not honoured in time.
func (p *proc) stop(grace time.Duration) error {
	var err error
	p.once.Do(func() {
		select {
		case <-p.done:
			return
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			// The whole group: NGINX's workers too.
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
			err = fmt.Errorf("%s did not stop within %s of SIGTERM", p.name, grace)
		}
	})
	return err
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail is the end of the process's log, for error messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// waitHTTP polls url until it answers want, the process exits or timeout
// passes.
func (p *proc) waitHTTP(ctx context.Context, url string, want int, timeout time.Duration) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for {
		status := 0
		if resp, err := client.Get(url); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close() // drained already
			status = resp.StatusCode
		}
		switch {
		case status == want:
			return nil
		case p.exited():
			return fmt.Errorf("%s exited before %s answered; its log:\n%s", p.name, url, p.tail())
		case time.Now().After(deadline):
			return fmt.Errorf("%s: %s did not answer %d within %s (last: %d); its log:\n%s", p.name, url, want, timeout, status, p.tail())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// freeAddr is a loopback address with a port free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// answers reports whether anything answers HTTP at base (any status).
func answers(base string) bool {
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get(base + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close() // only the answer counts
	return true
}
