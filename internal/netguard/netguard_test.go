package netguard_test

import (
	"net/netip"
	"testing"

	"github.com/portico/portico/internal/netguard"
)

func TestPrivate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr    string
		private bool
	}{
		{"127.0.0.1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"100.64.0.1", true}, {"0.1.2.3", true}, {"198.18.0.1", true},
		{"240.0.0.1", true}, {"255.255.255.255", true}, {"224.0.0.1", true}, {"0.0.0.0", true},
		{"::1", true}, {"::", true}, {"fe80::1", true}, {"fc00::1", true}, {"fec0::1", true},
		{"::ffff:127.0.0.1", true}, {"::127.0.0.1", true}, {"64:ff9b::a9fe:a9fe", true},
		{"2002:0a00:0001::1", true}, {"2002:c0a8:0101::", true},
		{"93.184.216.34", false}, {"8.8.8.8", false}, {"2606:4700:4700::1111", false},
		{"64:ff9b::808:808", false}, {"2002:0808:0808::1", false}, {"::ffff:8.8.8.8", false},
	} {
		if got := netguard.Private(netip.MustParseAddr(tc.addr)); got != tc.private {
			t.Errorf("Private(%s) = %v, want %v", tc.addr, got, tc.private)
		}
	}
}
