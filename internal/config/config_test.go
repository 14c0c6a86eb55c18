package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDevelopmentSecretIsGeneratedOnceAndReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"PORTICO_DATA": dir}
	first := FromEnv(func(k string) string { return env[k] }, nil)
	if err := first.Finish(false, true); err != nil {
		t.Fatal(err)
	}
	if len(first.Secret) < MinSecretLen {
		t.Fatalf("generated secret has %d bytes, want >= %d", len(first.Secret), MinSecretLen)
	}
	st, err := os.Stat(filepath.Join(dir, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("secret file mode = %v, want 0600", st.Mode().Perm())
	}
	second := FromEnv(func(k string) string { return env[k] }, nil)
	if err := second.Finish(false, true); err != nil {
		t.Fatal(err)
	}
	if string(first.Secret) != string(second.Secret) {
		t.Error("second start generated a new secret instead of reusing the first")
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := FromEnv(func(k string) string { return map[string]string{"PORTICO_DATA": t.TempDir()}[k] }, nil)
	if err := c.Finish(false, true); err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.BaseURL.String() != "http://127.0.0.1:8080" || c.SecureCookies() {
		t.Errorf("defaults: addr %q, base %q, secure %v", c.Addr, c.BaseURL, c.SecureCookies())
	}
	h := FromEnv(func(k string) string {
		return map[string]string{"PORTICO_DATA": t.TempDir(), "PORTICO_BASE_URL": "https://portal.example.com/"}[k]
	}, nil)
	if err := h.Finish(false, true); err != nil {
		t.Fatal(err)
	}
	if !h.SecureCookies() || h.BaseURL.String() != "https://portal.example.com" {
		t.Errorf("https base: %q secure %v", h.BaseURL, h.SecureCookies())
	}
}
