package redistest

import (
	"fmt"
	"net"
	"strconv"
	"sync"
)

// Restart stops the server if it runs and starts it again on the same
// address, empty (it keeps nothing on disk), as a Redis without
// persistence comes back after a crash. The new process is stopped when
// the test ends, like the first. Clients reconnect to it on their own.
func (s *Server) Restart() error {
	s.Stop()
	_, p, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("redistest: restart %s: %w", s.Addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return fmt.Errorf("redistest: restart %s: %w", s.Addr, err)
	}
	n, err := launch(s.bin, s.dir, port)
	if err != nil {
		return fmt.Errorf("redistest: restart: %w", err)
	}
	s.cmd, s.log, s.done = n.cmd, n.log, n.done
	s.once = sync.Once{}
	return nil
}
