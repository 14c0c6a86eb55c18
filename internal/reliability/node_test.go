package reliability

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico/portico/internal/pgtest"
)

// secret is every node's PORTICO_SECRET: the nodes of one fleet must
// agree on it, since it keys the token hashes they look up.
const secret = "reliability-tests-secret-0123456789abcdefghijklmnop"

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binary builds cmd/portico once per test process and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "portico-reliability-"); buildErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "portico")
		goBin, err := exec.LookPath("go")
		if err != nil {
			buildErr = err
			return
		}
		out, err := exec.Command(goBin, "build", "-o", binPath, "github.com/portico/portico/cmd/portico").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/portico: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// node is one `portico serve` process.
type node struct {
	name string
	// URL is http://127.0.0.1:PORT.
	URL  string
	cmd  *exec.Cmd
	logs *logLines
	done chan struct{}
	// exit is the process's exit error, set when done is closed.
	exit error
}

// startNode starts `portico serve` on a free loopback port with the
// given settings (DATABASE_URL, REDIS_URL, ...) on top of a clean
// environment, and waits until it logs that it is ready. The process is
// stopped when the test ends (SIGTERM, then SIGKILL), and killed with
// the test process if that dies first.
func startNode(t *testing.T, name string, settings ...string) *node {
	t.Helper()
	n := &node{name: name, logs: &logLines{ready: make(chan string, 1)}, done: make(chan struct{})}
	n.cmd = exec.Command(binary(t), "serve")
	n.cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"PORTICO_ADDR=127.0.0.1:0",
		"PORTICO_DATA=" + t.TempDir(),
		"PORTICO_SECRET=" + secret,
		"PORTICO_LOG_FORMAT=json",
	}, settings...)
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	n.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { n.exit = n.cmd.Wait(); close(n.done) }()
	t.Cleanup(func() { n.stop(t) })
	select {
	case addr := <-n.logs.ready:
		n.URL = "http://" + addr
	case <-n.done:
		t.Fatalf("%s exited at start (%v):\n%s", name, n.exit, n.logs.tail(40))
	case <-time.After(time.Minute):
		t.Fatalf("%s not ready within a minute:\n%s", name, n.logs.tail(40))
	}
	return n
}

// signal sends sig to the process.
func (n *node) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := n.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %s: %v", n.name, err)
	}
}

// stop ends the process (SIGTERM, then SIGKILL after 15 s), shows its
// last log lines when the test failed, and fails the test when it logged
// a panic.
func (n *node) stop(t *testing.T) {
	select {
	case <-n.done:
	default:
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.done:
		case <-time.After(15 * time.Second):
			_ = n.cmd.Process.Kill()
			<-n.done
		}
	}
	if n.logs.has("panic") {
		t.Errorf("%s logged a panic:\n%s", n.name, n.logs.tail(60))
	} else if t.Failed() {
		t.Logf("%s's last log lines:\n%s", n.name, n.logs.tail(30))
	}
}

// logLines keeps a node's output and reports the address of its
// "portico ready" line.
type logLines struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	part  []byte
	ready chan string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	l.part = append(l.part, p...)
	for {
		i := bytes.IndexByte(l.part, '\n')
		if i < 0 {
			break
		}
		var line struct{ Msg, Addr string }
		if json.Unmarshal(l.part[:i], &line) == nil && line.Msg == "portico ready" {
			select {
			case l.ready <- line.Addr:
			default:
			}
		}
		l.part = l.part[i+1:]
	}
	return len(p), nil
}

// has reports whether any line contains s.
func (l *logLines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Contains(l.buf.Bytes(), []byte(s))
}

// logged reports whether the node logged a line containing s within 5 s
// (its output reaches the test through a pipe, a moment after it acted).
func (n *node) logged(s string) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n.logs.has(s) {
			return true
		}
	}
	return false
}

// tail returns the last n lines.
func (l *logLines) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := strings.Split(strings.TrimRight(l.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
