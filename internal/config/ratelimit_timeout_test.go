package config

import (
	"strings"
	"testing"
	"time"
)

func TestRateLimitTimeout(t *testing.T) {
	t.Parallel()
	finish := func(timeout string) (*Config, error) {
		env := map[string]string{"PORTICO_DATA": t.TempDir(), "PORTICO_RATELIMIT_TIMEOUT": timeout}
		c := FromEnv(func(k string) string { return env[k] }, nil)
		return c, c.Finish(false, true)
	}
	for _, tc := range []struct {
		raw  string
		want time.Duration
	}{
		{"", 0}, // ratelimit.DefaultTimeout
		{"250ms", 250 * time.Millisecond},
		{" 1s ", time.Second},
		{"1ms", time.Millisecond},
		{"10s", 10 * time.Second},
	} {
		t.Run("good "+tc.raw, func(t *testing.T) {
			c, err := finish(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if c.RateLimitTimeout != tc.want {
				t.Errorf("RateLimitTimeout = %s, want %s", c.RateLimitTimeout, tc.want)
			}
		})
	}
	for _, raw := range []string{"50", "fast", "0s", "500us", "11s", "-1s"} {
		t.Run("bad "+raw, func(t *testing.T) {
			if _, err := finish(raw); err == nil || !strings.Contains(err.Error(), "PORTICO_RATELIMIT_TIMEOUT") {
				t.Errorf("Finish with %q = %v, want an error naming PORTICO_RATELIMIT_TIMEOUT", raw, err)
			}
		})
	}
}
