package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	finish := func(v string) (*Config, error) {
		env := map[string]string{"PORTICO_DATA": t.TempDir(), "PORTICO_TRUSTED_PROXIES": v}
		c := FromEnv(func(k string) string { return env[k] }, nil)
		return c, c.Finish(false, true)
	}
	for _, tc := range []struct {
		value string
		want  []string
	}{
		{"", nil},
		{"10.0.0.0/8", []string{"10.0.0.0/8"}},
		{" 10.0.0.0/8 , 192.168.1.7/32,2001:db8::/32 ,", []string{"10.0.0.0/8", "192.168.1.7/32", "2001:db8::/32"}},
		{"172.16.5.4/12", []string{"172.16.0.0/12"}},
	} {
		t.Run("good "+tc.value, func(t *testing.T) {
			c, err := finish(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range c.TrustedProxies {
				got = append(got, n.String())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("networks (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"10.0.0.0/33", "proxy.example.com", "10.0.0.0/8,nonsense", "10.1.2.3"} {
		t.Run("bad "+bad, func(t *testing.T) {
			_, err := finish(bad)
			var ce *Error
			if !errors.As(err, &ce) || ce.Setting != "PORTICO_TRUSTED_PROXIES" || !strings.Contains(err.Error(), "CIDR") {
				t.Errorf("Finish with %q = %v, want an error naming PORTICO_TRUSTED_PROXIES", bad, err)
			}
		})
	}
}

func TestRateLimitSettings(t *testing.T) {
	t.Parallel()
	finish := func(redisURL, failure string) (*Config, error) {
		env := map[string]string{"PORTICO_DATA": t.TempDir(), "REDIS_URL": redisURL, "PORTICO_RATELIMIT_FAILURE": failure}
		c := FromEnv(func(k string) string { return env[k] }, nil)
		return c, c.Finish(false, true)
	}
	type settings struct {
		RedisURL   string
		FailClosed bool
	}
	for _, tc := range []struct {
		redisURL, failure string
		want              settings
	}{
		{"", "", settings{}},
		{"", "open", settings{}},
		{"", "closed", settings{FailClosed: true}},
		{"", " Closed ", settings{FailClosed: true}},
		{"redis://127.0.0.1:6379", "", settings{RedisURL: "redis://127.0.0.1:6379"}},
		{"redis://:s3cret@redis.internal:6379/2", "open", settings{RedisURL: "redis://:s3cret@redis.internal:6379/2"}},
		{"rediss://user:pw@redis.example.com", "closed", settings{RedisURL: "rediss://user:pw@redis.example.com", FailClosed: true}},
		{"unix:///run/redis/redis.sock", "", settings{RedisURL: "unix:///run/redis/redis.sock"}},
	} {
		t.Run("good "+tc.redisURL+" "+tc.failure, func(t *testing.T) {
			c, err := finish(tc.redisURL, tc.failure)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, settings{c.RedisURL, c.RateLimitFailClosed}); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
	for _, tc := range []struct {
		redisURL, failure string
		setting           string
	}{
		{"", "fail", "PORTICO_RATELIMIT_FAILURE"},
		{"", "true", "PORTICO_RATELIMIT_FAILURE"},
		{"redis://h:6379", "deny", "PORTICO_RATELIMIT_FAILURE"},
		{"localhost:6379", "", "REDIS_URL"},
		{"http://:s3cret@redis.internal:6379", "", "REDIS_URL"},
		{"redis://:s3cret@", "", "REDIS_URL"},
		{"redis://:s3cret@redis.internal:6379/zero", "", "REDIS_URL"},
		{"redis://:s3cret@redis.internal:6379/0/1", "", "REDIS_URL"},
		{"redis://:s3cret@redis.internal:port", "", "REDIS_URL"},
		{"unix://", "", "REDIS_URL"},
	} {
		t.Run("bad "+tc.redisURL+" "+tc.failure, func(t *testing.T) {
			_, err := finish(tc.redisURL, tc.failure)
			var ce *Error
			if !errors.As(err, &ce) || ce.Setting != tc.setting {
				t.Fatalf("Finish = %v, want an error naming %s", err, tc.setting)
			}
			if msg := err.Error(); strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") {
				t.Errorf("error %q repeats the password or spans lines", msg)
			}
		})
	}
}
