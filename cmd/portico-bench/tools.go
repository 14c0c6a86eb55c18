package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// ensureTools installs wrk and NGINX with apt-get where they are missing,
// as scripts/deps.sh does for the tests' tools.
func ensureTools(ctx context.Context) error {
	var missing []string
	if _, err := exec.LookPath("wrk"); err != nil {
		missing = append(missing, "wrk")
	}
	if nginxBinary() == "" {
		missing = append(missing, "nginx")
	}
	if len(missing) == 0 {
		return nil
	}
	fmt.Fprintf(os.Stderr, "bench: installing %s with apt-get\n", strings.Join(missing, " and "))
	for _, args := range [][]string{{"update", "-qq"}, append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...)} {
		var cmd *exec.Cmd
		if os.Geteuid() == 0 {
			cmd = exec.CommandContext(ctx, "apt-get", args...) // #nosec G204 -- apt-get with the missing ones of this file's fixed package names
		} else {
			cmd = exec.CommandContext(ctx, "sudo", append([]string{"apt-get"}, args...)...) // #nosec G204 -- as above
		}
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// nginxBinary finds Debian's nginx (in /usr/sbin, not on every PATH).
func nginxBinary() string {
	for _, name := range []string{"nginx", "/usr/sbin/nginx"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// build compiles the module's package pkg into dir/name.
func build(ctx context.Context, repo, dir, name, pkg string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, pkg) // #nosec G204 -- one of the bench's own packages, into its work folder
	cmd.Dir = repo
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return out, nil
}

// thisMachine describes the machine for the report.
func thisMachine(ctx context.Context, repo string) machine {
	m := machine{Cores: runtime.NumCPU(), CPU: "unknown CPU", Go: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		_ = f.Close() // read only: nothing is lost
	}
	cmd := exec.CommandContext(ctx, "go", "env", "GOVERSION")
	cmd.Dir = repo
	if out, err := cmd.Output(); err == nil && len(strings.TrimSpace(string(out))) > 0 {
		m.Go = strings.TrimSpace(string(out))
	}
	return m
}
