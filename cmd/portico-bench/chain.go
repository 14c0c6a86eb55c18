package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// chainBench runs BenchmarkChain in the module and reads its line.
func chainBench(ctx context.Context, repo string) (*chain, error) {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", "^BenchmarkChain$", "-benchmem", "./handlers/gateway")
	cmd.Dir = repo
	// Interrupted, the test binary go started stops too, not only go.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go test -bench BenchmarkChain: %w\n%s", err, out)
	}
	return parseBench(string(out), "BenchmarkChain")
}

// parseBench reads the ns/op, B/op and allocs/op of benchmark name (any
// -N suffix) from go test's output.
func parseBench(out, name string) (*chain, error) {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || (f[0] != name && !strings.HasPrefix(f[0], name+"-")) {
			continue
		}
		c := &chain{}
		seen := 0
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("cannot read %q: %w", sc.Text(), err)
			}
			switch f[i+1] {
			case "ns/op":
				c.NsOp = v
				seen++
			case "B/op":
				c.BytesOp = v
				seen++
			case "allocs/op":
				c.AllocsOp = v
				seen++
			}
		}
		if seen != 3 {
			return nil, fmt.Errorf("no ns/op, B/op and allocs/op (was -benchmem given?) in %q", sc.Text())
		}
		return c, nil
	}
	return nil, fmt.Errorf("no %s line in:\n%s", name, out)
}
