package logtest

import "sync"

var (
	allMu sync.Mutex
	all   []*Buffer
)

// register remembers b for All; a buffer registers on its first write.
func register(b *Buffer) {
	allMu.Lock()
	all = append(all, b)
	allMu.Unlock()
}

// All returns what every Buffer of the test process logged so far, one
// string per buffer: a TestMain scans them after the tests (for a secret
// that must never be logged, say).
func All() []string {
	allMu.Lock()
	bs := append([]*Buffer(nil), all...)
	allMu.Unlock()
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.String()
	}
	return out
}
