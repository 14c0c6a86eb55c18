// Package pgcluster runs a private PostgreSQL cluster from the machine's
// PostgreSQL binaries: initdb and pg_ctl into a folder, listening only on a
// unix socket. `portico dev` uses it for the project-local database and
// internal/pgtest for the throwaway clusters of the tests.
//
// initdb and postgres refuse to run as root; when this process is root the
// binaries run as the `postgres` system user that Debian's package creates,
// and the cluster folder is handed to that user. A project's cluster that
// user cannot reach (a project under root's own home, mode 700) lives in
// /var/lib/portico instead: see ForProject.
package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is one PostgreSQL data folder and the server running on it.
type Cluster struct {
	// Dir is the data folder (PGDATA).
	Dir string
	// SocketDir is where the server's unix socket lives.
	SocketDir string
	// Fast trades durability for speed (fsync off): for throwaway test clusters.
	Fast bool
	// MovedFrom is the folder asked for when the data lives in Dir instead
	// because the postgres user cannot reach it (ForProject); a symbolic
	// link there points to Dir. Empty otherwise.
	MovedFrom string

	bin  string
	cred *syscall.Credential
	uid  int
	gid  int
}

// ErrNoBinaries says the PostgreSQL server binaries are not installed.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found: install them with `apt-get install postgresql`")

// New prepares a cluster in dir without touching the disk. The socket lives in
// dir unless that path is too long for a unix socket, in which case a short
// folder under the system temp folder is used.
func New(dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster folder %q: %w", dir, err)
	}
	bin, err := findBinaries()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, SocketDir: abs, bin: bin, uid: -1, gid: -1}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root, so PostgreSQL must run as the postgres system user, which does not exist (install the postgresql package): %w", err)
		}
		uid, uerr := parseID(u.Uid)
		gid, gerr := parseID(u.Gid)
		if err := errors.Join(uerr, gerr); err != nil {
			return nil, fmt.Errorf("the postgres user's uid %q or gid %q: %w", u.Uid, u.Gid, err)
		}
		c.uid, c.gid = int(uid), int(gid)
		c.cred = &syscall.Credential{Uid: uid, Gid: gid}
	}
	// sockaddr_un holds 107 bytes; leave room for "/.s.PGSQL.5432".
	if len(abs) > 90 {
		c.SocketDir = filepath.Join(os.TempDir(), "portico-pg-"+strconv.FormatUint(uint64(hash(abs)), 36))
	}
	return c, nil
}

// findBinaries returns the folder holding initdb and pg_ctl: from PATH, or the
// newest /usr/lib/postgresql/N/bin where Debian installs them off PATH.
func findBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// Initialized reports whether the data folder already holds a cluster.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION"))
	return err == nil
}

// Init creates the cluster with initdb unless it exists already. Local
// connections are trusted: the socket folder is readable by its owner only.
func (c *Cluster) Init(ctx context.Context) error {
	if c.Initialized() {
		return nil
	}
	if err := c.mkdir(c.Dir); err != nil {
		return err
	}
	args := []string{"-D", c.Dir, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if c.Fast {
		args = append(args, "--no-sync")
	}
	if out, err := c.run(ctx, "initdb", args...); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", c.Dir, err, out)
	}
	return nil
}

// parseID reads a user or group id, which os/user gives as a string.
func parseID(s string) (uint32, error) {
	v, err := strconv.ParseUint(s, 10, 32)
	return uint32(v), err // #nosec G115 -- ParseUint's bit size 32 keeps v below 1<<32
}

// mkdir creates dir (and parents) and hands it to the postgres user when root.
func (c *Cluster) mkdir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // #nosec G302 -- a folder: x lets its owner enter it, and PostgreSQL requires 0700 of its data folder
		return fmt.Errorf("chmod %s: %w", dir, err)
	}
	if c.cred == nil {
		return nil
	}
	if err := os.Chown(dir, c.uid, c.gid); err != nil {
		return fmt.Errorf("give %s to the postgres user: %w", dir, err)
	}
	// The postgres user must be able to walk down to the folder.
	if p, err := c.blocker(dir); err != nil {
		return err
	} else if p != "" {
		return fmt.Errorf("the postgres user cannot reach %s because %s is not searchable by others; choose another PORTICO_DATA or chmod o+x %s", dir, p, p)
	}
	return nil
}

// blocker returns the first folder above dir that the postgres user cannot
// search, or "" when it can walk down to dir (or this process is not root).
func (c *Cluster) blocker(dir string) (string, error) {
	if c.cred == nil {
		return "", nil
	}
	for p := filepath.Dir(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("stat %s: %w", p, err)
		}
		if !c.searchable(st) {
			return p, nil
		}
		if p == "/" || p == "." {
			return "", nil
		}
	}
}

// searchable reports whether the postgres user may enter the folder st
// describes, by its owner, group or other execute bit.
func (c *Cluster) searchable(st os.FileInfo) bool {
	perm := st.Mode().Perm()
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		switch {
		case int(sys.Uid) == c.uid:
			return perm&0o100 != 0
		case int(sys.Gid) == c.gid:
			return perm&0o010 != 0
		}
	}
	return perm&0o001 != 0
}

// Running reports whether a server is running on the data folder.
func (c *Cluster) Running(ctx context.Context) bool {
	_, err := c.run(ctx, "pg_ctl", "-D", c.Dir, "status")
	return err == nil
}

// Start starts the server and waits until it accepts connections. A server
// already running on the folder is left as it is.
func (c *Cluster) Start(ctx context.Context) error {
	if c.Running(ctx) {
		return nil
	}
	if c.SocketDir != c.Dir {
		if err := c.mkdir(c.SocketDir); err != nil {
			return err
		}
	}
	opts := []string{"-c listen_addresses=''", "-k " + c.SocketDir, "-c unix_socket_permissions=0700"}
	if c.Fast {
		opts = append(opts, "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200")
	}
	out, err := c.run(ctx, "pg_ctl", "-D", c.Dir, "-l", filepath.Join(c.Dir, "server.log"), "-w", "-t", "60", "-o", strings.Join(opts, " "), "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "server.log"))
		return fmt.Errorf("start PostgreSQL in %s: %w\n%s\n%s", c.Dir, err, out, tail(string(log), 2000))
	}
	return nil
}

// Stop stops the server: fast mode rolls back open transactions and closes
// connections; it is a no-op when the server is not running.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.Running(ctx) {
		return nil
	}
	if out, err := c.run(ctx, "pg_ctl", "-D", c.Dir, "-w", "-t", "60", "-m", "fast", "stop"); err != nil {
		return fmt.Errorf("stop PostgreSQL in %s: %w\n%s", c.Dir, err, out)
	}
	return nil
}

// URL returns the connection URL of database db on this cluster, as the
// postgres superuser over the unix socket.
func (c *Cluster) URL(db string) string {
	q := url.Values{"host": {c.SocketDir}, "user": {"postgres"}, "sslmode": {"disable"}}
	return "postgres:///" + url.PathEscape(db) + "?" + q.Encode()
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.bin, name), args...) // #nosec G204 -- initdb or pg_ctl, from PATH or the Debian layout (findBinaries), with arguments this package builds
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "LC_ALL=C", "TZ=UTC")
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd.CombinedOutput()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
