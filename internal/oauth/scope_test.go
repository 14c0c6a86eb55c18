package oauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNarrow(t *testing.T) {
	t.Parallel()
	client := []string{"maintenance/maintenance:read", "fleet/fleet:read", "portal:tokens:read"}
	for _, tc := range []struct {
		raw  string
		want []string
		code string
	}{
		{"", []string{"fleet/fleet:read", "maintenance/maintenance:read", "portal:tokens:read"}, ""},
		{"   ", []string{"fleet/fleet:read", "maintenance/maintenance:read", "portal:tokens:read"}, ""},
		{"fleet/fleet:read", []string{"fleet/fleet:read"}, ""},
		{"portal:tokens:read  fleet/fleet:read fleet/fleet:read", []string{"fleet/fleet:read", "portal:tokens:read"}, ""},
		{"fleet/fleet:write", nil, CodeInvalidScope},
		{"fleet/fleet:read\tmaintenance/maintenance:read", nil, CodeInvalidScope},
		{"fleet", nil, CodeInvalidScope},
		// A bare scope name stands for the client's one scope of that name.
		{"fleet:read", []string{"fleet/fleet:read"}, ""},
		{"fleet:read fleet/fleet:read maintenance:read", []string{"fleet/fleet:read", "maintenance/maintenance:read"}, ""},
		{"fleet:write", nil, CodeInvalidScope},
	} {
		got, err := narrow(tc.raw, client)
		var e *Error
		if (tc.code == "") != (err == nil) || (err != nil && (!errors.As(err, &e) || e.Code != tc.code || e.Status != 400)) {
			t.Errorf("narrow(%q) error = %v, want code %q", tc.raw, err, tc.code)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("narrow(%q) (-want +got):\n%s", tc.raw, diff)
		}
	}
	// Two APIs with a scope of one name: the bare name is ambiguous.
	if _, err := narrow("items:read", []string{"a/items:read", "b/items:read"}); err == nil || !strings.Contains(err.Error(), "API/SCOPE") {
		t.Errorf("ambiguous bare scope: %v, want invalid_scope naming API/SCOPE", err)
	}
	if _, err := narrow("", nil); err == nil {
		t.Error("a client without scopes got a token's worth of none")
	}
}

func TestAllowedFrom(t *testing.T) {
	t.Parallel()
	nets := []string{"203.0.113.0/24", "2001:db8::/48"}
	for _, tc := range []struct {
		nets []string
		ip   string
		want bool
	}{
		{nil, "198.51.100.1", true},
		{nets, "203.0.113.255", true},
		{nets, "::ffff:203.0.113.4", true},
		{nets, "2001:db8:0:ffff::1", true},
		{nets, "203.0.114.1", false},
		{nets, "2001:db9::1", false},
		{nets, "", false},
		{nets, "not-an-ip", false},
	} {
		if got := allowedFrom(tc.nets, tc.ip); got != tc.want {
			t.Errorf("allowedFrom(%v, %q) = %v", tc.nets, tc.ip, got)
		}
	}
}
