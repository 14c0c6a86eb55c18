package config

import (
	"strings"
	"testing"
	"time"
)

func TestSSOSyncInterval(t *testing.T) {
	t.Parallel()
	finish := func(every string) (*Config, error) {
		env := map[string]string{"PORTICO_DATA": t.TempDir(), "PORTICO_SSO_SYNC_INTERVAL": every}
		c := FromEnv(func(k string) string { return env[k] }, nil)
		return c, c.Finish(false, true)
	}
	for _, tc := range []struct {
		raw  string
		want time.Duration
	}{
		{"", time.Hour},
		{"0", 0},
		{" 15m ", 15 * time.Minute},
		{"1m", time.Minute},
		{"168h", 7 * 24 * time.Hour},
	} {
		t.Run("good "+tc.raw, func(t *testing.T) {
			c, err := finish(tc.raw)
			if err != nil {
				t.Fatal(err)
			}
			if c.SSOSyncInterval != tc.want {
				t.Errorf("SSOSyncInterval = %s, want %s", c.SSOSyncInterval, tc.want)
			}
		})
	}
	for _, raw := range []string{"60", "hourly", "0s", "30s", "169h", "-1h"} {
		t.Run("bad "+raw, func(t *testing.T) {
			if _, err := finish(raw); err == nil || !strings.Contains(err.Error(), "PORTICO_SSO_SYNC_INTERVAL") {
				t.Errorf("Finish with %q = %v, want an error naming PORTICO_SSO_SYNC_INTERVAL", raw, err)
			}
		})
	}
}
