package redistest

import "testing"

func TestRestartAnswersOnTheSameAddress(t *testing.T) {
	t.Parallel()
	s := StartServer(t)
	addr := s.Addr
	s.Stop()
	if err := ping(addr); err == nil {
		t.Fatal("a stopped server answered PING")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr, addr)
	}
	if err := ping(addr); err != nil {
		t.Fatalf("PING after Restart: %v", err)
	}
	if err := s.Restart(); err != nil { // a running server is stopped first
		t.Fatalf("Restart of a running server: %v", err)
	}
	if err := ping(addr); err != nil {
		t.Fatalf("PING after the second Restart: %v", err)
	}
}
