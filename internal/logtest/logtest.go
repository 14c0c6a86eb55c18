// Package logtest holds what tests need to read what the portal logged.
package logtest

import (
	"bytes"
	"sync"
)

// Buffer is a log sink safe for the concurrent writes of a logger, so a
// test can scan the log (for a secret that must never be there, say).
type Buffer struct {
	mu         sync.Mutex
	b          bytes.Buffer
	registered bool
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.registered {
		s.registered = true
		register(s)
	}
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
