package config

import "testing"

func TestWebhookSettings(t *testing.T) {
	t.Parallel()
	finish := func(env map[string]string) (*Config, error) {
		env["PORTICO_DATA"] = t.TempDir()
		c := FromEnv(func(k string) string { return env[k] }, nil)
		return c, c.Finish(false, true)
	}
	for _, tc := range []struct {
		workers, allowPrivate string
		wantWorkers           int
		wantPrivate           bool
	}{
		{"", "", 4, false},
		{"0", "", 0, false}, // this node sends none; others do
		{"1", "true", 1, true},
		{" 8 ", "yes", 8, false}, // only "true" allows private addresses
		{"64", "1", 64, false},
	} {
		t.Run("good "+tc.workers+" "+tc.allowPrivate, func(t *testing.T) {
			c, err := finish(map[string]string{"PORTICO_WEBHOOK_WORKERS": tc.workers, "PORTICO_WEBHOOK_ALLOW_PRIVATE": tc.allowPrivate})
			if err != nil {
				t.Fatal(err)
			}
			if c.WebhookWorkers != tc.wantWorkers || c.WebhookAllowPrivate != tc.wantPrivate {
				t.Errorf("WebhookWorkers, WebhookAllowPrivate = %d, %t; want %d, %t", c.WebhookWorkers, c.WebhookAllowPrivate, tc.wantWorkers, tc.wantPrivate)
			}
		})
	}
	for _, raw := range []string{"-1", "65", "four", "2.5", "1e3", "0x10"} {
		t.Run("bad "+raw, func(t *testing.T) {
			_, err := finish(map[string]string{"PORTICO_WEBHOOK_WORKERS": raw})
			want := `PORTICO_WEBHOOK_WORKERS: "` + raw + `" is not a number from 0 (this node sends no webhooks) to 64`
			if err == nil || err.Error() != want {
				t.Errorf("Finish with %q = %v, want %s", raw, err, want)
			}
		})
	}
}
