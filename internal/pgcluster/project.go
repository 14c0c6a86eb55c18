package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MovedRoot is where ForProject keeps the data of clusters the postgres
// user cannot reach in the project: a folder of the system's own state,
// which survives reboots (unlike /tmp) and root may create.
var MovedRoot = "/var/lib/portico"

// ForProject returns the cluster of a project's data folder dir, as New
// does, with one difference when this process is root: initdb must then run
// as the postgres user, and when that user cannot walk down to dir (the
// project sits in root's own home, mode 700) the data goes to a folder of
// MovedRoot named after dir, and dir becomes a symbolic link to it. The next
// start follows the link; MovedFrom says the data moved. The user's folders
// keep their modes: making a home searchable by others is not ours to do.
//
// What it cannot solve is an error saying what to do: dir already holds
// other files, or MovedRoot cannot be made or entered.
func ForProject(ctx context.Context, dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("cluster folder %q: %w", dir, err)
	}
	if st, err := os.Lstat(abs); err == nil && st.Mode()&os.ModeSymlink != 0 {
		// Moved earlier (or linked by hand): the data lives where the link points.
		target, err := os.Readlink(abs)
		if err != nil {
			return nil, fmt.Errorf("cluster folder %s: %w", abs, err)
		}
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(abs), target)
		}
		c, err := New(target)
		if err != nil {
			return nil, err
		}
		c.MovedFrom = abs
		return c, nil
	}
	c, err := New(abs)
	if err != nil || c.cred == nil {
		return c, err
	}
	// Parents created here are searchable by others (the postgres user),
	// not readable, as the data folder itself is when config creates it
	// for the development secret.
	if err := os.MkdirAll(filepath.Dir(abs), 0o711); err != nil { // #nosec G301 -- the postgres user, neither owner nor group, must pass through
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(abs), err)
	}
	blocked, err := c.blocker(abs)
	if err != nil || blocked == "" {
		return c, err
	}
	return c.move(ctx, abs, blocked)
}

// move puts the cluster of abs, which the postgres user cannot reach
// because of the folder blocked, under MovedRoot and links abs to it.
func (c *Cluster) move(ctx context.Context, abs, blocked string) (*Cluster, error) {
	cannot := func(why string) error {
		return fmt.Errorf("the postgres user cannot reach %s because %s is not searchable by others, and its data cannot live in %s instead: %s; choose another PORTICO_DATA or chmod o+x %s", abs, blocked, MovedRoot, why, blocked)
	}
	if entries, err := os.ReadDir(abs); err == nil && len(entries) > 0 {
		return nil, cannot(abs + " already holds files")
	} else if err == nil {
		if err := os.Remove(abs); err != nil {
			return nil, cannot(err.Error())
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, cannot(err.Error())
	}
	if err := os.MkdirAll(MovedRoot, 0o711); err != nil { // #nosec G301 -- the postgres user, neither owner nor group, must pass through to its data
		return nil, cannot(err.Error())
	}
	target := filepath.Join(MovedRoot, movedName(abs))
	moved, err := New(target)
	if err != nil {
		return nil, err
	}
	if p, err := moved.blocker(target); err != nil {
		return nil, cannot(err.Error())
	} else if p != "" {
		return nil, cannot(p + " is not searchable by others")
	}
	// No link means the project's data folder was deleted since the data
	// moved: start afresh, as deleting it does when nothing moved. A server
	// still running there belongs to a `portico dev` of this project.
	if moved.Initialized() {
		if moved.Running(ctx) {
			return nil, fmt.Errorf("a PostgreSQL from an earlier %s is still running in %s: stop the `portico dev` using it, or `pg_ctl -D %s stop` as the postgres user", abs, target, target)
		}
		if err := os.RemoveAll(target); err != nil {
			return nil, cannot(err.Error())
		}
	}
	if err := moved.mkdir(target); err != nil {
		return nil, cannot(err.Error())
	}
	if err := os.Symlink(target, abs); err != nil {
		return nil, cannot(err.Error())
	}
	moved.MovedFrom = abs
	return moved, nil
}

// movedName is the folder name under MovedRoot for the cluster asked for in
// abs: stable, so every start finds it, readable by its path's end, and
// short enough for the unix socket that lives in it.
func movedName(abs string) string {
	readable := strings.Trim(strings.ReplaceAll(abs, "/", "-"), "-")
	if len(readable) > 40 {
		// Keep whole folder names: cut at the first dash of the last 40 bytes.
		readable = readable[len(readable)-40:]
		if i := strings.IndexByte(readable, '-'); i >= 0 {
			readable = readable[i+1:]
		}
	}
	return readable + "-" + strconv.FormatUint(uint64(hash(abs)), 36)
}
